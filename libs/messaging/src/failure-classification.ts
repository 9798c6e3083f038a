import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { UnknownEventVersionError } from '@backchannel/events';
import { WrongExpectedVersionError } from '@backchannel/event-store';
import { MalformedEventError } from './recorded-event.codec.js';

/**
 * What a handler failure means for the message:
 * - transient: the same message will probably succeed later (database or broker unavailable, a
 *   concurrent writer won); retry, and never give up on the message because of an outage;
 * - poison: the message can never be handled (unknown schema version, malformed); dead-letter it;
 * - unexpected: a bug or an unforeseen condition; retry a few times, then dead-letter.
 */
export type FailureKind = 'transient' | 'poison' | 'unexpected';

/** SQLSTATE classes of failures that go away: connection (08), transaction rollback such as
 *  serialization failures and deadlocks (40), insufficient resources (53), operator intervention (57). */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57']);

const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Single SQLSTATEs of a failover or a busy row: read-only transaction (a demoted primary), lock not available. */
const TRANSIENT_SQLSTATES = new Set(['25006', '55P03']);

/** node-postgres reports a dropped connection, a query on a client whose connection failed (a server
 *  killed mid-transaction) or a pool timeout without a code. */
const TRANSIENT_PG_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable/,
  /timeout exceeded when trying to connect/,
];

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof UnknownEventVersionError || error instanceof MalformedEventError) return 'poison';
  return causeChain(error).some(isTransient) ? 'transient' : 'unexpected';
}

function isTransient(error: unknown): boolean {
  if (error instanceof WrongExpectedVersionError) return true;
  // TypeORM releases a transaction's query runner when its connection fails (the server killed): its COMMIT then meets this
  if (error instanceof QueryRunnerAlreadyReleasedError) return true;
  if (!isRecord(error)) return false;
  if (error['retriable'] === true) return true; // kafkajs marks the broker errors worth retrying
  const code = error['code'];
  if (typeof code === 'string') {
    if (TRANSIENT_SOCKET_CODES.has(code)) return true;
    if (TRANSIENT_SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) return true;
  }
  const message = error['message'];
  return typeof message === 'string' && TRANSIENT_PG_MESSAGES.some((pattern) => pattern.test(message));
}

/** The error and what it wraps: TypeORM's `driverError`, kafkajs' and the standard `cause`. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (isRecord(current) && !chain.includes(current)) {
    chain.push(current);
    current = current['driverError'] ?? current['cause'] ?? current['originalError'];
  }
  return chain;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
