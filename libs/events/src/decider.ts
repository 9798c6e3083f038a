import type { Event } from './envelope.js';

/**
 * An event before it is stored: the store assigns `eventId` when none is given. Distributes over
 * a union, so each event type keeps its own data shape.
 */
export type NewEvent<E extends Event = Event> = E extends Event ? Omit<E, 'eventId'> & { eventId?: string } : never;

/**
 * The outcome of a decision: the events to append (possibly none, for a command that changes
 * nothing, such as a repeated one), or a typed refusal that the caller turns into a response.
 */
export type Decision<E extends Event, Rejection> =
  { outcome: 'accepted'; events: NewEvent<E>[] } | { outcome: 'rejected'; rejection: Rejection };

/**
 * The Decider pattern: all business rules of one kind of stream, as pure functions. Time and ids
 * come in on the command, so `decide` can be re-run after a version conflict.
 */
export interface Decider<Command, State, E extends Event, Rejection> {
  decide(command: Command, state: State): Decision<E, Rejection>;
  evolve(state: State, event: E): State;
  initialState(): State;
}

export function accept<N extends NewEvent = never>(...events: N[]): { outcome: 'accepted'; events: N[] } {
  return { outcome: 'accepted', events };
}

export function reject<Rejection>(rejection: Rejection): { outcome: 'rejected'; rejection: Rejection } {
  return { outcome: 'rejected', rejection };
}
