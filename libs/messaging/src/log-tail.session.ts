import { LOG_START, type LogCheckpoint } from '@backchannel/event-store';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** The channel the events table's trigger notifies at every commit of an append. */
const EVENTS_APPENDED_CHANNEL = 'backchannel_events_appended';

/**
 * One PostgreSQL session kept for as long as a log tailer runs. Its session state is the point:
 * the advisory lock that makes the tailer the only active one for its subscription, and the LISTEN
 * that wakes it at commit. Both end with the session, so a tailer whose session broke knows it may
 * no longer hold the lock. The connection is opened beside the DataSource's pool, with the same
 * settings, so tailers never take connections from the work the pool serves.
 * The checkpoint is written on this session too: a write that succeeds proves the lock was held.
 */
export class LogTailSession {
  private broken = false;
  private closed = false;

  private constructor(private readonly client: pg.Client) {}

  /** Connects with the settings of the DataSource's pool (TypeORM's postgres driver keeps it as `master`). */
  static async open(dataSource: DataSource, onAppended: () => void): Promise<LogTailSession> {
    const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
    const client = new pg.Client(pool.options);
    const session = new LogTailSession(client);
    // unhandled, a connection error would end the process
    client.on('error', () => (session.broken = true));
    client.on('end', () => (session.broken = true));
    client.on('notification', onAppended);
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_APPENDED_CHANNEL}`);
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  get isBroken(): boolean {
    return this.broken;
  }

  /** Takes the subscription's session-level advisory lock if nobody holds it; never waits. */
  async tryLock(subscription: string): Promise<boolean> {
    const { rows } = await this.client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
      [subscription],
    );
    return rows[0]?.locked === true;
  }

  /** Each named checkpoint, LOG_START for one never saved. */
  async loadCheckpoints(names: readonly string[]): Promise<Map<string, LogCheckpoint>> {
    const { rows } = await this.client.query<{ subscription: string; transaction_id: string; global_position: string }>(
      `SELECT subscription, transaction_id::text AS transaction_id, global_position::text AS global_position
       FROM subscription_checkpoints WHERE subscription = ANY($1::text[])`,
      [names],
    );
    const saved = new Map(
      rows.map((row) => [row.subscription, { transactionId: row.transaction_id, globalPosition: row.global_position }]),
    );
    return new Map(names.map((name) => [name, saved.get(name) ?? LOG_START]));
  }

  /** Moves the named checkpoints to `checkpoint`, in one statement. */
  async saveCheckpoints(names: readonly string[], checkpoint: LogCheckpoint): Promise<void> {
    await this.client.query(
      `INSERT INTO subscription_checkpoints (subscription, transaction_id, global_position)
       SELECT name, $2::xid8, $3::bigint FROM unnest($1::text[]) AS name
       ON CONFLICT (subscription) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
      [names, checkpoint.transactionId, checkpoint.globalPosition],
    );
  }

  /** Ends the session, and with it the lock and the LISTEN. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = this.broken = true;
    await this.client.end().catch(() => undefined);
  }
}
