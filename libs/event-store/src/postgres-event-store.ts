import { Injectable } from '@nestjs/common';
import { currentTraceparent, inSpan } from '@backchannel/observability';
import { DataSource } from 'typeorm';
import { type Event, type RecordedEvent, upcast } from '@backchannel/events';
import {
  type AppendResult,
  type EventStoreTransaction,
  LOG_START,
  type LogCheckpoint,
  type ReadLogResult,
  type ReadStreamResult,
  WrongExpectedVersionError,
} from './event-store.js';
import { appendEvents, readLog, readLogHead, readStoredStream } from './events.table.js';
import { type RunSql, type TransactionSql, poolSql, transactionOnPool } from './sql.js';
import { type ChainVerification, verifyChain } from './hash-chain.js';
import { StreamStateCache } from './stream-state-cache.js';

/** Appends with expected version 'any' lose only to a concurrent writer; a few tries settle it. */
const ANY_VERSION_APPEND_ATTEMPTS = 10;

/**
 * Runs `attempt` again after a WrongExpectedVersionError (one that `isRetryable`), at most
 * `maxAttempts` times in all.
 */
export async function retryOnVersionConflict<T>(
  maxAttempts: number,
  attempt: () => Promise<T>,
  isRetryable: (conflict: WrongExpectedVersionError) => boolean = () => true,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      const retry = error instanceof WrongExpectedVersionError && isRetryable(error) && attemptNumber < maxAttempts;
      if (!retry) throw error;
    }
  }
}

/**
 * appendToStream over one way of running SQL (the pool, or an open transaction). `retryAny` says
 * how an append with expected version 'any' is tried again there after losing a race.
 */
function appendingWith(
  run: RunSql,
  retryAny: <E extends Event>(append: () => Promise<AppendResult<E>>) => Promise<AppendResult<E>>,
): EventStoreTransaction['appendToStream'] {
  return (streamId, expectedVersion, events, alongside) =>
    inSpan(
      'event-store append',
      { attributes: { 'backchannel.stream_id': streamId, 'backchannel.event_types': events.map((e) => e.type) } },
      () => {
        // the recording span's trace context travels with the events (see EventMetadata.traceparent)
        const traceparent = currentTraceparent();
        const traced = traceparent
          ? events.map((event) => ({ ...event, metadata: { traceparent, ...event.metadata } }))
          : events;
        const append = () => appendEvents(run, streamId, expectedVersion, traced, alongside);
        return expectedVersion === 'any' ? retryAny(append) : append();
      },
    );
}

function upcastRecorded<E extends Event>(event: RecordedEvent): RecordedEvent<E> {
  return { ...event, ...upcast<E>(event) } as RecordedEvent<E>;
}

/**
 * A transaction held on one connection. A failed statement aborts the PostgreSQL transaction, so
 * an append with expected version 'any' that lost the race for the next version retries inside a
 * savepoint. Any other conflict ends the transaction (handleCommand retries the whole of it): a
 * numeric version is stale, or a younger transaction appended first (see ExpectedVersion).
 */
class PooledTransaction implements EventStoreTransaction {
  constructor(private readonly sql: TransactionSql) {}

  readonly query: EventStoreTransaction['query'] = (statement, parameters = []) => this.sql.run(statement, parameters);

  readonly appendToStream = appendingWith(this.sql.run, (append) =>
    retryOnVersionConflict(
      ANY_VERSION_APPEND_ATTEMPTS,
      () => this.sql.savepoint(append),
      (conflict) => conflict.cause !== undefined,
    ),
  );
}

/** The event store on PostgreSQL: stream reads, appends with expected version, the global log, hash chains. */
@Injectable()
export class PostgresEventStore {
  constructor(private readonly dataSource: DataSource) {}

  private readonly query = poolSql(this.dataSource);

  /** The states of the streams this process worked on last (handleCommand starts from them). */
  readonly streamStates = new StreamStateCache();

  /** The stream's events, upcast to the current schema versions, in version order. */
  async readStream<E extends Event>(streamId: string): Promise<ReadStreamResult<E>> {
    const events = await readStoredStream(this.query, streamId);
    return { currentVersion: events.at(-1)?.streamVersion ?? 0, events: events.map(upcastRecorded<E>) };
  }

  /** Appends in one statement (its own transaction); 'any' retries when another writer got there first. */
  readonly appendToStream = appendingWith(this.query, (append) =>
    retryOnVersionConflict(ANY_VERSION_APPEND_ATTEMPTS, append),
  );

  /**
   * Runs `work` in one PostgreSQL transaction: committed when it resolves, rolled back when it
   * throws, run again when PostgreSQL ends it as a deadlock's victim (so `work` does nothing outside it).
   */
  transaction<T>(work: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    return transactionOnPool(this.dataSource, (sql) => work(new PooledTransaction(sql)));
  }

  /**
   * The global log after `after`, in (transaction id, position) order, as stored (not upcast: the
   * relay forwards events verbatim and consumers upcast). Holds back events of transactions that
   * may still be followed by an older, uncommitted one, so a reader never skips an event.
   * `eventTypes`: look at `limit` events and return those of these types only.
   */
  readLog(after: LogCheckpoint, limit: number, eventTypes: readonly string[] | null = null): Promise<ReadLogResult> {
    return readLog(this.query, after, limit, eventTypes);
  }

  /** The checkpoint of the last event a log reader can see now: start here to read only newer events. */
  async currentLogCheckpoint(): Promise<LogCheckpoint> {
    return (await readLogHead(this.query)) ?? LOG_START;
  }

  /** Re-reads the stream as stored and checks every version, link and hash. */
  async verifyStream(streamId: string): Promise<ChainVerification> {
    return verifyChain(await readStoredStream(this.query, streamId));
  }
}
