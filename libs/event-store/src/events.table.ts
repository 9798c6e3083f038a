import { randomUUID } from 'node:crypto';
import type { Event, EventMetadata, NewEvent, RecordedEvent } from '@backchannel/events';
import {
  type AppendResult,
  type ExpectedVersion,
  type LogCheckpoint,
  type ReadLogResult,
  WrongExpectedVersionError,
} from './event-store.js';
import { asStoredJson, eventHashTemplate } from './hash-chain.js';
import { type PreparedStatement, type RunSql, databaseErrorOf, prepared } from './sql.js';
import { APPENDING, type AlongsideWrites, alongsideCtes } from './alongside-writes.js';

interface EventRow {
  stream_id: string;
  stream_version: number;
  global_position: string;
  recorded_at: Date;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  previous_hash: string;
  hash: string;
}

type LoggedEventRow = EventRow & { transaction_id: string };

const EVENT_COLUMNS = `stream_id, stream_version, global_position, recorded_at, event_id, event_type, schema_version,
  data, metadata, previous_hash, hash`;

function recordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: row.global_position,
    recordedAt: row.recorded_at.toISOString(),
    eventId: row.event_id,
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    previousHash: row.previous_hash,
    hash: row.hash,
  };
}

const READ_STREAM = prepared(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version`);

/** One stream's events as stored (not upcast), in version order. */
export async function readStoredStream(run: RunSql, streamId: string): Promise<RecordedEvent[]> {
  const rows = await run<EventRow>(READ_STREAM, [streamId]);
  return rows.map(recordedEvent);
}

const READ_ALL_AFTER = prepared(`
  SELECT ${EVENT_COLUMNS} FROM events WHERE (stream_id, stream_version) > ($1, $2)
  ORDER BY stream_id, stream_version LIMIT $3`);

/**
 * Every stored event (not upcast), stream after stream in version order, a page after the
 * position given (null: from the start): what an audit reads through, in constant memory.
 */
export async function readStoredEventsAfter(
  run: RunSql,
  after: { streamId: string; streamVersion: number } | null,
  limit: number,
): Promise<RecordedEvent[]> {
  const rows = await run<EventRow>(READ_ALL_AFTER, [after?.streamId ?? '', after?.streamVersion ?? 0, limit]);
  return rows.map(recordedEvent);
}

const READ_BETWEEN = prepared(`
  SELECT ${EVENT_COLUMNS} FROM events
  WHERE global_position > $3 AND recorded_at >= $1 AND recorded_at < $2
    AND ($5::text IS NULL AND $6::text IS NULL OR stream_id IN (
      SELECT stream_id FROM events WHERE event_type = 'AuthRequested'
        AND ($5::text IS NULL OR data->>'clientId' = $5) AND ($6::text IS NULL OR data->>'subject' = $6)))
  ORDER BY global_position LIMIT $4`);

/**
 * Stored events (not upcast) recorded in [from, to), in log order, a page after `after` (a global
 * position); with a client or a user, only the events of the requests of that client or user.
 */
export async function readStoredEventsBetween(
  run: RunSql,
  range: { from: Date; to: Date; after: string; clientId: string | null; subject: string | null },
  limit: number,
): Promise<RecordedEvent[]> {
  const { from, to, after, clientId, subject } = range;
  const rows = await run<EventRow>(READ_BETWEEN, [from, to, after, limit, clientId, subject]);
  return rows.map(recordedEvent);
}

// Only transactions older than every running one (xid below the snapshot's xmin) are surely
// finished, so events of a transaction that commits later can never appear behind the reader.
// A reader that wants some event types only still scans the log in order, a page at a time, so
// its checkpoint moves past the events it skips; those come back without their data.
const READ_LOG = prepared(`
  SELECT transaction_id, stream_id, stream_version, global_position, recorded_at, event_id, event_type,
    schema_version, previous_hash, hash, wanted,
    CASE WHEN wanted THEN data END AS data, CASE WHEN wanted THEN metadata END AS metadata
  FROM (
    SELECT *, ($4::text[] IS NULL OR event_type = ANY($4::text[])) AS wanted FROM events
    WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id, global_position
    LIMIT $3) AS page
  ORDER BY transaction_id, global_position`);

const LOG_HEAD = `
  SELECT transaction_id, global_position FROM events
  WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY transaction_id DESC, global_position DESC
  LIMIT 1`;

function checkpointOf(row: { transaction_id: string; global_position: string }): LogCheckpoint {
  return { transactionId: row.transaction_id, globalPosition: row.global_position };
}

/**
 * Up to `limit` events of the log after `after`, or of them only those of `eventTypes`; the
 * checkpoint is the last event looked at, wanted or not.
 */
export async function readLog(
  run: RunSql,
  after: LogCheckpoint,
  limit: number,
  eventTypes: readonly string[] | null = null,
): Promise<ReadLogResult> {
  const rows = await run<LoggedEventRow & { wanted: boolean }>(READ_LOG, [
    after.transactionId,
    after.globalPosition,
    limit,
    eventTypes,
  ]);
  const last = rows.at(-1);
  const wanted = rows.filter((row) => row.wanted);
  return {
    events: wanted.map(recordedEvent),
    positions: wanted.map(checkpointOf),
    checkpoint: last ? checkpointOf(last) : after,
    scanned: rows.length,
  };
}

/** What a projection needs of an event: enough to upcast and fold it, none of the audit fields. */
export type ProjectedEvent = Pick<
  RecordedEvent,
  'eventId' | 'streamId' | 'streamVersion' | 'type' | 'schemaVersion' | 'data' | 'metadata'
>;

const TYPED_PAGE = `
  SELECT transaction_id, global_position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata
  FROM events
  WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND event_type = ANY($4::text[])`;
const READ_TYPED_BOUNDED = prepared(`${TYPED_PAGE}
    AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY transaction_id, global_position LIMIT $3`);
// For a reader that holds back every writer of what it reads (a table lock the writers take in the
// transactions that append): all it must see has committed, whatever the snapshot's xmin.
const READ_TYPED_UNBOUNDED = prepared(`${TYPED_PAGE}
  ORDER BY transaction_id, global_position LIMIT $3`);

/**
 * The events of `eventTypes` after `after`, in log order, lean (no hashes, no recording time):
 * `bounded`, only as far as the log is surely complete (as readLog); else every committed one.
 */
export async function readEventsOfTypes(
  run: RunSql,
  after: LogCheckpoint,
  limit: number,
  eventTypes: readonly string[],
  bounded: boolean,
): Promise<{ events: ProjectedEvent[]; checkpoint: LogCheckpoint }> {
  const rows = await run<{
    transaction_id: string;
    global_position: string;
    event_id: string;
    stream_id: string;
    stream_version: number;
    event_type: string;
    schema_version: number;
    data: unknown;
    metadata: EventMetadata;
  }>(bounded ? READ_TYPED_BOUNDED : READ_TYPED_UNBOUNDED, [
    after.transactionId,
    after.globalPosition,
    limit,
    eventTypes,
  ]);
  const last = rows.at(-1);
  return {
    events: rows.map((row) => ({
      eventId: row.event_id,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      type: row.event_type,
      schemaVersion: row.schema_version,
      data: row.data,
      metadata: row.metadata,
    })),
    checkpoint: last ? checkpointOf(last) : after,
  };
}

export async function readLogHead(run: RunSql): Promise<LogCheckpoint | undefined> {
  const [head] = await run<LoggedEventRow>(LOG_HEAD, []);
  return head && checkpointOf(head);
}

/*
 * One statement per append: find the stream's head (its last event, which must be at the expected
 * version unless that is 'any'), then chain the new events' versions and hashes from it (each hash
 * covers its predecessor's: for several events, a recursive CTE) and insert them. A head at another
 * version means the expected version is wrong: nothing is inserted, and nothing is refused (a
 * refusal would take down the group the append was committed with: see GroupCommits in sql.ts). A
 * head written by a younger transaction than this one also counts as a conflict, so the log order
 * (by transaction id) keeps every stream in version order. A writer racing for the same version
 * loses on events_stream_version_unique.
 */
const HEAD_CTES = `
    head AS (
      SELECT stream_version, hash, transaction_id FROM events
      WHERE stream_id = $1
      ORDER BY stream_version DESC
      LIMIT 1
    ),
    start (stream_version, hash) AS (
      SELECT stream_version, hash FROM head
      WHERE ($2::integer IS NULL OR stream_version = $2::integer) AND transaction_id <= pg_current_xact_id()
      UNION ALL
      SELECT 0, '' WHERE coalesce($2::integer, 0) = 0 AND NOT EXISTS (SELECT FROM head)
    )`;
const APPENDED_COLUMNS = `event_id uuid, event_type text, schema_version integer, data jsonb,
        metadata jsonb, hash_head text, hash_middle text, hash_tail text`;
const INSERTED = `INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata, previous_hash, hash)`;
const RETURNED = `RETURNING global_position, stream_version, recorded_at, previous_hash, hash`;

/** The append's two shapes: its CTEs (after head and start; a statement's alongside writes follow them) and its INSERT. */
interface AppendShape {
  ctes: string;
  insert: string;
  /** Its statements built so far, by their alongside writes' names and texts (appendStatement). */
  built: Map<string, PreparedStatement>;
}

/** Several events: each hash covers its predecessor's, so the chain is a recursive CTE. */
const MANY: AppendShape = {
  ctes: `
  WITH RECURSIVE${HEAD_CTES},
    appended AS (
      SELECT * FROM jsonb_to_recordset($3::jsonb) AS appended (ordinal integer, ${APPENDED_COLUMNS})
    ),
    chain (ordinal, stream_version, previous_hash, hash) AS (
      SELECT 0, stream_version, NULL::text, hash FROM start
      UNION ALL
      SELECT appended.ordinal, chain.stream_version + 1, chain.hash, encode(sha256(convert_to(
        appended.hash_head || chain.hash || appended.hash_middle || (chain.stream_version + 1)::text
          || appended.hash_tail, 'UTF8')), 'hex')
      FROM chain JOIN appended ON appended.ordinal = chain.ordinal + 1
    )`,
  insert: `
  ${INSERTED}
  SELECT $1, chain.stream_version, appended.event_id, appended.event_type, appended.schema_version, appended.data,
    appended.metadata, chain.previous_hash, chain.hash
  FROM chain JOIN appended USING (ordinal)
  ORDER BY ordinal
  ${RETURNED}`,
  built: new Map(),
};

/**
 * One event, the usual append: its hash follows the head's in one step. The recursion cost
 * PostgreSQL about a third of the append (190-210 against 255-310 µs of its CPU per append in one
 * transaction, docs/performance.md "tenth round").
 */
const ONE: AppendShape = {
  ctes: `
  WITH${HEAD_CTES},
    appended AS (SELECT * FROM jsonb_to_record($3::jsonb) AS appended (${APPENDED_COLUMNS}))`,
  insert: `
  ${INSERTED}
  SELECT $1, start.stream_version + 1, appended.event_id, appended.event_type, appended.schema_version, appended.data,
    appended.metadata, start.hash, encode(sha256(convert_to(
      appended.hash_head || start.hash || appended.hash_middle || (start.stream_version + 1)::text
        || appended.hash_tail, 'UTF8')), 'hex')
  FROM start, appended
  ${RETURNED}`,
  built: new Map(),
};

/**
 * The append of a shape, with writes made in its statement (AlongsideWrites) after its own three
 * parameters. Committed in groups (PipelinedConnection): an append's only locks are its rows', and
 * an alongside write only touches the rows of the append's own stream.
 */
function appendStatement(shape: AppendShape, alongside?: AlongsideWrites): PreparedStatement {
  // looked up, not built, on every append: building checks and renumbers each write (about 1 % of
  // the embedded process's CPU when it was done per append)
  const key = alongside ? alongside.statements.map(({ name, sql }) => `${name}\n${sql}`).join('\0') : '';
  let statement = shape.built.get(key);
  if (!statement) {
    const writes = alongside ? `,\n    ${APPENDING} AS (SELECT FROM start)${alongsideCtes(alongside, 3)}` : '';
    statement = prepared(shape.ctes + writes + shape.insert, { committedInGroups: true });
    shape.built.set(key, statement);
  }
  return statement;
}

const CURRENT_VERSION = prepared(`SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = $1`);

type AppendedRow = Pick<EventRow, 'global_position' | 'stream_version' | 'recorded_at' | 'previous_hash' | 'hash'>;

function isVersionConflict(error: unknown): boolean {
  const cause = databaseErrorOf(error);
  return cause?.code === '23505' && cause.constraint === 'events_stream_version_unique';
}

/**
 * One append attempt, as one statement. Throws WrongExpectedVersionError when the stream is not at
 * the expected version (for 'any': when another writer took the next version first). Appending
 * nothing writes nothing (the alongside writes neither) and checks no version. `alongside`: writes
 * made in the same statement, exactly when the events are stored (AlongsideWrites).
 */
export async function appendEvents<E extends Event>(
  run: RunSql,
  streamId: string,
  expectedVersion: ExpectedVersion,
  newEvents: NewEvent<E>[],
  alongside?: AlongsideWrites,
): Promise<AppendResult<E>> {
  if (newEvents.length === 0) {
    const version =
      expectedVersion === 'any'
        ? (await run<{ version: number }>(CURRENT_VERSION, [streamId]))[0].version
        : expectedVersion;
    return { nextExpectedVersion: version, globalPositions: [], events: [] };
  }
  const stored = newEvents.map((event) => asStoredJson({ ...event, eventId: event.eventId ?? randomUUID() }));
  const rows = stored.map((event, index) => {
    const template = eventHashTemplate({ streamId, ...event });
    return {
      ordinal: index + 1,
      event_id: event.eventId,
      event_type: event.type,
      schema_version: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      hash_head: template.head,
      hash_middle: template.middle,
      hash_tail: template.tail,
    };
  });
  const shape = rows.length === 1 ? ONE : MANY;
  let appended: AppendedRow[];
  try {
    appended = await run<AppendedRow>(appendStatement(shape, alongside), [
      streamId,
      expectedVersion === 'any' ? null : expectedVersion,
      JSON.stringify(shape === ONE ? rows[0] : rows),
      ...(alongside?.parameters ?? []),
    ]);
  } catch (error) {
    if (isVersionConflict(error)) throw new WrongExpectedVersionError(streamId, expectedVersion, { cause: error });
    throw error;
  }
  if (appended.length === 0) throw new WrongExpectedVersionError(streamId, expectedVersion);
  appended.sort((a, b) => a.stream_version - b.stream_version);
  const events = appended.map(
    (row, index) =>
      ({
        ...stored[index],
        streamId,
        streamVersion: row.stream_version,
        globalPosition: row.global_position,
        recordedAt: row.recorded_at.toISOString(),
        previousHash: row.previous_hash,
        hash: row.hash,
      }) as RecordedEvent<E>,
  );
  return {
    nextExpectedVersion: appended[appended.length - 1].stream_version,
    globalPositions: appended.map((row) => row.global_position),
    events,
  };
}
