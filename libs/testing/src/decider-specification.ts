import { expect } from '@jest/globals';
import type { Decider, Decision, Event, NewEvent } from '@backchannel/events';

export interface DeciderThen<E extends Event> {
  /** The command is accepted and yields exactly these events. */
  then(expectedEvents: NewEvent<E>[]): void;
  /** The command is rejected with this rejection code. */
  thenRejects(code: string): void;
  /** The command is accepted and changes nothing (a repeated command, for example). */
  thenNothing(): void;
}

export interface DeciderWhen<Command, E extends Event> {
  when(command: Command): DeciderThen<E>;
}

export interface DeciderGiven<Command, E extends Event> {
  /** The stream so far; events may omit eventId, as tests rarely care about it. */
  given(events: NewEvent<E>[]): DeciderWhen<Command, E>;
}

function recorded<E extends Event>(events: NewEvent<E>[]): E[] {
  return events.map((event, index) => ({ eventId: `given-${index + 1}`, ...event }) as unknown as E);
}

/**
 * given(events).when(command).then(events) for any Decider, after emmett's DeciderSpecification:
 * the state is folded from the given events with the decider's own evolve, then decide runs once
 * per assertion.
 */
export const DeciderSpecification = {
  for<Command, State, E extends Event, Rejection extends { code: string }>(
    decider: Decider<Command, State, E, Rejection>,
  ): DeciderGiven<Command, E> {
    return {
      given: (events) => ({
        when: (command) => {
          const decision = (): Decision<E, Rejection> => {
            const state = recorded(events).reduce(
              (folded, event) => decider.evolve(folded, event),
              decider.initialState(),
            );
            return decider.decide(command, state);
          };
          return {
            then: (expectedEvents) => expect(decision()).toEqual({ outcome: 'accepted', events: expectedEvents }),
            thenRejects: (code) => expect(decision()).toMatchObject({ outcome: 'rejected', rejection: { code } }),
            thenNothing: () => expect(decision()).toEqual({ outcome: 'accepted', events: [] }),
          };
        },
      }),
    };
  },
};
