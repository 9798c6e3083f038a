import type { Decider, Event, RecordedEvent } from '@backchannel/events';
import type { EventStoreTransaction } from './event-store.js';
import { type PostgresEventStore, retryOnVersionConflict } from './postgres-event-store.js';

export type CommandResult<State, E extends Event, Rejection> =
  | { outcome: 'accepted'; events: RecordedEvent<E>[]; state: State /* after the new events */ }
  | { outcome: 'rejected'; rejection: Rejection; state: State };

export interface HandleCommandOptions<State, E extends Event> {
  /** Attempts in all, counting re-reads after version conflicts (default 5). */
  maxAttempts?: number;
  /** Runs in the same transaction as the append (read models, processed-message records); not called when nothing is appended. */
  inTransaction?: (tx: EventStoreTransaction, events: RecordedEvent<E>[], state: State) => Promise<void>;
}

const DEFAULT_MAX_ATTEMPTS = 5;

function fold<Command, State, E extends Event, Rejection>(
  decider: Decider<Command, State, E, Rejection>,
  state: State,
  events: RecordedEvent<E>[],
): State {
  // A recorded event is its event plus where it was stored; evolve reads only the event part.
  return events.reduce((folded, event) => decider.evolve(folded, event as unknown as E), state);
}

/**
 * Read the stream, fold, decide, append with the expected version; on WrongExpectedVersionError
 * re-read and re-decide (at most options.maxAttempts, default 5). `command` may be a function of the
 * current state (used by the token endpoint to sign tokens for the state it is about to change).
 * `options.inTransaction(tx, events, state)` runs in the SAME transaction as the append (read models).
 * Round trips: one read, then one append (or BEGIN, append, the caller's statements, COMMIT).
 */
export async function handleCommand<Command, State, E extends Event, Rejection>(
  store: PostgresEventStore,
  streamId: string,
  decider: Decider<Command, State, E, Rejection>,
  command: Command | ((state: State) => Command | Promise<Command>),
  options: HandleCommandOptions<State, E> = {},
): Promise<CommandResult<State, E, Rejection>> {
  const { maxAttempts = DEFAULT_MAX_ATTEMPTS, inTransaction } = options;
  return retryOnVersionConflict(maxAttempts, async () => {
    const stream = await store.readStream<E>(streamId);
    const state = fold(decider, decider.initialState(), stream.events);
    const decided =
      typeof command === 'function' ? await (command as (state: State) => Command | Promise<Command>)(state) : command;
    const decision = decider.decide(decided, state);
    if (decision.outcome === 'rejected') return { outcome: 'rejected', rejection: decision.rejection, state };
    if (decision.events.length === 0) return { outcome: 'accepted', events: [], state };

    const append = async (appender: Pick<EventStoreTransaction, 'appendToStream'>) => {
      const { events } = await appender.appendToStream(streamId, stream.currentVersion, decision.events);
      return { outcome: 'accepted' as const, events, state: fold(decider, state, events) };
    };
    if (!inTransaction) return append(store);
    return store.transaction(async (tx) => {
      const accepted = await append(tx);
      await inTransaction(tx, accepted.events, accepted.state);
      return accepted;
    });
  });
}
