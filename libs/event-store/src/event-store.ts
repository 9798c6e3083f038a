import type { Event, NewEvent, RecordedEvent } from '@backchannel/events';
import type { Statement } from './sql.js';
import type { AlongsideWrites } from './alongside-writes.js';

/**
 * What the caller expects the stream to look like before an append:
 * - a number: the stream's current version (0 = the stream must not exist yet);
 * - 'any': append whatever the version (use only for streams with a single writer). Inside a
 *   transaction that wrote before, it can still fail when a younger transaction appended to the
 *   stream meanwhile: the log is ordered by transaction, so the stream's order would break.
 */
export type ExpectedVersion = number | 'any';

/**
 * Another writer appended to the stream first: re-read, re-decide, retry. The `cause` is set when
 * this append lost a race for the same version (a unique violation) rather than finding the
 * stream elsewhere.
 */
export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: ExpectedVersion,
    options?: ErrorOptions,
  ) {
    super(`stream ${streamId} is not at version ${String(expectedVersion)}`, options);
    this.name = 'WrongExpectedVersionError';
  }
}

export interface ReadStreamResult<E extends Event = Event> {
  /** 0 when the stream does not exist. */
  currentVersion: number;
  events: RecordedEvent<E>[];
}

export interface AppendResult<E extends Event = Event> {
  nextExpectedVersion: number;
  /** Global positions of the appended events, in order. */
  globalPositions: string[];
  /** The appended events as recorded (versions, positions, hashes), in order. */
  events: RecordedEvent<E>[];
}

/**
 * Where a reader of the global log stands. Events are ordered by (transactionId, globalPosition):
 * the writing transaction first, because sequence values are not handed out in commit order.
 */
export interface LogCheckpoint {
  transactionId: string;
  globalPosition: string;
}

export const LOG_START: LogCheckpoint = { transactionId: '0', globalPosition: '0' };

/** Whether `a` comes after `b` in the log's order. */
export function isAfterInLog(a: LogCheckpoint, b: LogCheckpoint): boolean {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  return byTransaction !== 0n ? byTransaction > 0n : BigInt(a.globalPosition) > BigInt(b.globalPosition);
}

export interface ReadLogResult {
  /** The events read (of the wanted types only, when some were asked for). */
  events: RecordedEvent[];
  /** Where each of `events` stands in the log (same order). */
  positions: LogCheckpoint[];
  /** Pass back as `after` to continue; equal to the input when nothing new is visible. */
  checkpoint: LogCheckpoint;
  /** How many events of the log were looked at: fewer than the limit means the reader caught up. */
  scanned: number;
}

/**
 * A unit of work on one PostgreSQL transaction: appends and the caller's own statements
 * (read models) commit or roll back together.
 */
export interface EventStoreTransaction {
  /** `alongside`: writes made in the append's own statement, exactly when the events are stored. */
  appendToStream<E extends Event>(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: NewEvent<E>[],
    alongside?: AlongsideWrites,
  ): Promise<AppendResult<E>>;
  /** Runs SQL on the same transaction (pg-style $1 placeholders); `prepared(text)` for the hot path. */
  query<Row = Record<string, unknown>>(statement: Statement, parameters?: unknown[]): Promise<Row[]>;
}
