import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Decider, Decision, Event, NewEvent, RecordedEvent } from '@backchannel/events';
import type { EventStoreTransaction } from './event-store.js';
import type { AlongsideWrites } from './alongside-writes.js';
import type { StreamState } from './stream-state-cache.js';

export type { StreamState };
import { activeContext, contextOf, inSpan, linkToActiveSpan, traceIdOf } from '@backchannel/observability';
import { eventsRecorded } from './event-store.metrics.js';
import { type PostgresEventStore, retryOnVersionConflict } from './postgres-event-store.js';

export type CommandResult<State, E extends Event, Rejection> =
  | { outcome: 'accepted'; events: RecordedEvent<E>[]; state: State /* after the new events */ }
  | { outcome: 'rejected'; rejection: Rejection; state: State };

export interface HandleCommandOptions<State, E extends Event> {
  /** Attempts in all, counting re-reads after version conflicts (default 5). */
  maxAttempts?: number;
  /**
   * Decide on this state first instead of reading the stream: the state the caller read before
   * some work (a delivery, a signature), or the empty state of a stream it is about to create. If
   * the stream moved on meanwhile, the append fails and the command is decided again on a re-read.
   */
  from?: StreamState<State>;
  /**
   * Runs in the same transaction as the append (read models under a lock, say); not called when
   * nothing is appended. It starts with the append, its statements sent right behind the append's
   * (one write, no round trip of their own before them), so it is handed the events as decided (with
   * their ids), not as stored, and the state after them. If the append fails, that failure is the
   * one thrown.
   */
  inTransaction?: (tx: EventStoreTransaction, events: readonly NewEvent<E>[], state: State) => Promise<void>;
  /**
   * Writes known before the decision, made in the append's own statement (AlongsideWrites: one
   * round trip, no transaction); not made when nothing is appended. Prefer it to inTransaction
   * when the writes need no result and no lock.
   */
  alongside?: AlongsideWrites;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const logger = new Logger('events');

function fold<Command, State, E extends Event, Rejection>(
  decider: Decider<Command, State, E, Rejection>,
  state: State,
  events: readonly (RecordedEvent<E> | NewEvent<E>)[],
): State {
  // A recorded event is its event plus where it was stored; evolve reads only the event part.
  return events.reduce((folded, event) => decider.evolve(folded, event as unknown as E), state);
}

/** Reads a stream and folds it: its state and version, and the events they come from. */
export async function readStreamState<Command, State, E extends Event, Rejection>(
  store: PostgresEventStore,
  streamId: string,
  decider: Decider<Command, State, E, Rejection>,
): Promise<StreamState<State> & { events: RecordedEvent<E>[] }> {
  const { events, currentVersion } = await store.readStream<E>(streamId);
  const stream = { state: fold(decider, decider.initialState(), events), version: currentVersion, events };
  const origin = events[0]?.metadata;
  const read = origin ? { ...stream, origin } : stream;
  store.streamStates.remember(streamId, decider, read);
  return read;
}

/**
 * Decides `command` on the latest state this process knows of the stream: `from`, or the one it
 * remembers (StreamStateCache) when that is newer, else a read. A remembered state may be older
 * than the stream, so a refusal, or a decision to record nothing, made on it is made again on a
 * fresh read: only an acceptance rests on it, and its append checks the version (a conflict
 * re-reads). A refusal on `from` stands, as the caller read it.
 */
export async function decideOnLatest<Command, State, E extends Event, Rejection>(
  store: PostgresEventStore,
  streamId: string,
  decider: Decider<Command, State, E, Rejection>,
  command: Command,
  from?: StreamState<State>,
): Promise<{ stream: StreamState<State>; decision: Decision<E, Rejection> }> {
  const remembered = store.streamStates.get<State>(streamId, decider);
  const start = from && !(remembered && remembered.version > from.version) ? from : remembered;
  if (start) {
    const decision = decider.decide(command, start.state);
    if (start === from || (decision.outcome === 'accepted' && decision.events.length > 0)) {
      return { stream: start, decision };
    }
  }
  const stream = await readStreamState(store, streamId, decider);
  return { stream, decision: decider.decide(command, stream.state) };
}

/**
 * Read the stream, fold, decide, append with the expected version; on WrongExpectedVersionError
 * re-read and re-decide (at most options.maxAttempts, default 5). The command is data: it never
 * depends on the state, so deciding it again after a conflict is the same decision on newer facts.
 * `options.from` skips the first read, as does a state this process remembers (decideOnLatest).
 * Commands of one stream take turns in this process (StreamStateCache.inTurn), so they meet no
 * conflict with each other: the second decides on the state the first left.
 * `options.inTransaction(tx, events, state)` runs in the SAME transaction as the append, beside it
 * (read models); `options.alongside` writes in the append's own statement. Round trips: one read
 * (none with `from`), then one append (with or without alongside writes), or BEGIN with the append
 * and the caller's first statements, the caller's later ones, COMMIT.
 */
export async function handleCommand<Command, State, E extends Event, Rejection>(
  store: PostgresEventStore,
  streamId: string,
  decider: Decider<Command, State, E, Rejection>,
  command: Command,
  options: HandleCommandOptions<State, E> = {},
): Promise<CommandResult<State, E, Rejection>> {
  const { maxAttempts = DEFAULT_MAX_ATTEMPTS, inTransaction, alongside } = options;
  if (inTransaction && alongside) throw new Error('handleCommand: inTransaction or alongside, not both');
  let first = true;
  const attempt = async (): Promise<CommandResult<State, E, Rejection>> => {
    // the first attempt starts where the caller, or this process, last saw the stream; a retry re-reads
    const { stream, decision } = first
      ? await decideOnLatest(store, streamId, decider, command, options.from)
      : await decideOnLatest(store, streamId, decider, command, await readStreamState(store, streamId, decider));
    first = false;
    return inStreamTrace(stream, command, async () => {
      const decided = await appendDecision(stream, decision);
      if (decided.outcome === 'accepted' && decided.events.length > 0) {
        noteRecorded(streamId, decided.events);
        const origin = stream.origin ?? decided.events[0]!.metadata;
        const version = decided.events.at(-1)!.streamVersion;
        store.streamStates.remember(streamId, decider, { state: decided.state, version, origin });
      }
      return decided;
    });
  };
  return store.streamStates.inTurn(streamId, () => retryOnVersionConflict(maxAttempts, attempt));

  async function appendDecision(
    stream: StreamState<State>,
    decision: Decision<E, Rejection>,
  ): Promise<CommandResult<State, E, Rejection>> {
    if (decision.outcome === 'rejected') {
      return { outcome: 'rejected', rejection: decision.rejection, state: stream.state };
    }
    if (decision.events.length === 0) return { outcome: 'accepted', events: [], state: stream.state };

    const append = async (
      appender: Pick<EventStoreTransaction, 'appendToStream'>,
      events: NewEvent<E>[] = decision.events,
    ) => {
      const appended = await appender.appendToStream(streamId, stream.version, events, alongside);
      return {
        outcome: 'accepted' as const,
        events: appended.events,
        state: fold(decider, stream.state, appended.events),
      };
    };
    if (!inTransaction) return append(store);
    // ids given now, so the work knows the events it writes beside by the ids they are stored with
    const decided = decision.events.map((event) => (event.eventId ? event : { ...event, eventId: randomUUID() }));
    return store.transaction(async (tx) => {
      const [appended, worked] = await Promise.allSettled([
        append(tx, decided),
        inTransaction(tx, decided, fold(decider, stream.state, decided)),
      ]);
      // an append that failed is the failure: the work beside it is rolled back with it (whether it ran or was refused)
      if (appended.status === 'rejected') throw appended.reason;
      if (worked.status === 'rejected') throw worked.reason;
      return appended.value;
    });
  }
}

/** Counts the events committed and logs one line each, in the command's span and correlation id (ServiceLogger). */
function noteRecorded(streamId: string, events: RecordedEvent[]): void {
  for (const event of events) {
    eventsRecorded.inc({ type: event.type });
    // a stream id is a hash of the auth_req_id, never a secret
    logger.log(`${event.type} recorded on ${streamId} v${event.streamVersion} by ${event.metadata.actor}`);
  }
}

/**
 * Decides a command in the trace of the stream it acts on: a span that continues the trace of
 * the stream's first event (a request's trace begins at /bc-authorize), linked to what is active
 * (the device's or client's HTTP request, itself a trace of its own). So every event of a request
 * lands in one trace, whoever caused it. A new stream, or a state without its origin, stays in
 * the active trace.
 */
function inStreamTrace<T>(stream: StreamState<unknown>, command: unknown, work: () => Promise<T>): Promise<T> {
  const parent = contextOf({ traceparent: stream.origin?.traceparent });
  const type = (command as { type?: unknown }).type;
  const name = `command ${typeof type === 'string' ? type : 'decide'}`;
  if (traceIdOf(parent) === undefined || traceIdOf(parent) === traceIdOf(activeContext()))
    return inSpan(name, {}, work);
  return inSpan(name, { parent, links: linkToActiveSpan() }, work);
}
