import { createHash } from 'node:crypto';
import type { LogCheckpoint } from './event-store.js';
import { canonicalJson } from './hash-chain.js';
import type { RunSql } from './sql.js';

/** A stream's last event as a checkpoint saw it. */
export interface StreamHead {
  streamId: string;
  version: number;
  hash: string;
}

/** What a checkpoint states: the log up to a position, the heads written since the one before, chained to it. */
export interface CheckpointStatement {
  upTo: LogCheckpoint;
  heads: StreamHead[];
  previousDigest: string;
}

/** A checkpoint as stored: its statement, digest and signature (a JWS over the digest by the audit key `kid`). */
export interface StoredCheckpoint extends CheckpointStatement {
  id: string;
  createdAt: string;
  digest: string;
  kid: string;
  signature: string;
}

/**
 * SHA-256 (hex) of the canonical JSON of a statement. Chaining each statement to the digest before
 * it means no checkpoint can be dropped or reordered without the next one failing.
 */
export function checkpointDigest(statement: CheckpointStatement): string {
  const { upTo, heads, previousDigest } = statement;
  return createHash('sha256').update(canonicalJson({ upTo, heads, previousDigest }), 'utf8').digest('hex');
}

interface CheckpointRow {
  id: string;
  created_at: Date;
  up_to_transaction: string;
  up_to_position: string;
  heads: StreamHead[];
  previous_digest: string;
  digest: string;
  kid: string;
  signature: string;
}

function storedCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return {
    id: row.id,
    createdAt: row.created_at.toISOString(),
    upTo: { transactionId: row.up_to_transaction, globalPosition: row.up_to_position },
    heads: row.heads,
    previousDigest: row.previous_digest,
    digest: row.digest,
    kid: row.kid,
    signature: row.signature,
  };
}

export async function readCheckpoints(run: RunSql): Promise<StoredCheckpoint[]> {
  const rows = await run<CheckpointRow>(`SELECT * FROM audit_checkpoints ORDER BY id`, []);
  return rows.map(storedCheckpoint);
}

/**
 * The next statement: the log's head as every finished transaction leaves it (a transaction still
 * running cannot later appear behind it), and the head of each stream written after `after`. Null
 * when nothing was written since.
 */
export async function nextCheckpointStatement(
  run: RunSql,
  previous: StoredCheckpoint | null,
): Promise<CheckpointStatement | null> {
  const after = previous?.upTo ?? { transactionId: '0', globalPosition: '0' };
  const [head] = await run<{ transaction_id: string; global_position: string }>(
    `SELECT transaction_id, global_position FROM events
      WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        AND (transaction_id, global_position) > ($1::xid8, $2::bigint)
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    [after.transactionId, after.globalPosition],
  );
  if (!head) return null;
  const upTo = { transactionId: head.transaction_id, globalPosition: head.global_position };
  const heads = await run<{ streamId: string; version: number; hash: string }>(
    `SELECT DISTINCT ON (stream_id) stream_id AS "streamId", stream_version AS version, hash FROM events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
        AND (transaction_id, global_position) <= ($3::xid8, $4::bigint)
      ORDER BY stream_id, stream_version DESC`,
    [after.transactionId, after.globalPosition, upTo.transactionId, upTo.globalPosition],
  );
  return { upTo, heads, previousDigest: previous?.digest ?? '' };
}

export async function saveCheckpoint(
  run: RunSql,
  statement: CheckpointStatement,
  signed: { digest: string; kid: string; signature: string },
  now: Date,
): Promise<void> {
  await run(
    `INSERT INTO audit_checkpoints
       (created_at, up_to_transaction, up_to_position, heads, previous_digest, digest, kid, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      now,
      statement.upTo.transactionId,
      statement.upTo.globalPosition,
      JSON.stringify(statement.heads),
      statement.previousDigest,
      signed.digest,
      signed.kid,
      signed.signature,
    ],
  );
}

/** The hash each head's event has now (absent: the event is gone). */
export async function currentHashes(run: RunSql, heads: StreamHead[]): Promise<Map<string, string>> {
  const rows = await run<{ key: string; hash: string }>(
    `SELECT stream_id || '#' || stream_version AS key, hash FROM events e
       JOIN unnest($1::text[], $2::int[]) AS h(stream_id, stream_version) USING (stream_id, stream_version)`,
    [heads.map((head) => head.streamId), heads.map((head) => head.version)],
  );
  return new Map(rows.map((row) => [row.key, row.hash]));
}

/** Events no checkpoint covers yet: after the last one's position. */
export async function uncoveredEvents(run: RunSql, last: StoredCheckpoint | null): Promise<number> {
  const after = last?.upTo ?? { transactionId: '0', globalPosition: '0' };
  const [row] = await run<{ count: string }>(
    `SELECT count(*) AS count FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)`,
    [after.transactionId, after.globalPosition],
  );
  return Number(row?.count ?? 0);
}
