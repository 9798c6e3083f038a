import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventStoreTransaction } from '@backchannel/event-store';

/** A job a worker holds the lease of. */
export interface ClaimedJob {
  streamId: string;
  expiresAt: Date;
  /** This attempt included. */
  attempts: number;
  leaseUntil: Date;
}

interface ClaimedJobRow {
  stream_id: string;
  expires_at: Date;
  attempts: number;
  lease_until: Date;
}

/** Where a statement runs: the pool, or the transaction that records the outcome. */
type Sql = Pick<EventStoreTransaction, 'query'>;

/**
 * The client_notification_jobs table: one row per ping or push request, due (next_attempt_at)
 * once something may be owed to the client. Every time is the caller's clock, the one the decider
 * is given, so "due" here and "due" in the decider agree.
 */
@Injectable()
export class DeliveryJobsRepository {
  private readonly pool: Sql;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    // a structured result, because DataSource.query answers an UPDATE with [rows, count]
    this.pool = {
      query: async <Row>(sql: string, parameters?: unknown[]) => {
        const runner = dataSource.createQueryRunner();
        try {
          return (await runner.query(sql, parameters, true)).records as Row[];
        } finally {
          await runner.release();
        }
      },
    };
  }

  /** A new ping or push request: nothing is owed before a decision or the expiry. */
  async schedule(streamId: string, expiresAt: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO client_notification_jobs (stream_id, expires_at, next_attempt_at)
       VALUES ($1, $2, $2)
       ON CONFLICT (stream_id) DO NOTHING`,
      [streamId, expiresAt],
    );
  }

  /** Something happened to the request that may make a notification due: look at it now. */
  async makeDue(streamId: string, now: Date): Promise<boolean> {
    const rows = await this.pool.query(
      `UPDATE client_notification_jobs SET next_attempt_at = least(next_attempt_at, $2)
        WHERE stream_id = $1 AND done_at IS NULL
        RETURNING stream_id`,
      [streamId, now],
    );
    return rows.length > 0;
  }

  /**
   * Leases up to `limit` due jobs for `leaseMs` and counts the attempt. Rows another worker is
   * claiming are skipped, and a leased row is not due until its lease lapses, so a job is in one
   * worker's hands at a time; a worker that crashed leaves its jobs to the next claim after that.
   */
  async claimDue(now: Date, leaseMs: number, limit: number): Promise<ClaimedJob[]> {
    const rows = await this.pool.query<ClaimedJobRow>(
      `UPDATE client_notification_jobs
          SET lease_until = $2, attempts = attempts + 1
        WHERE stream_id IN (
          SELECT stream_id FROM client_notification_jobs
           WHERE done_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
           ORDER BY next_attempt_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING stream_id, expires_at, attempts, lease_until`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.map((row) => ({
      streamId: row.stream_id,
      expiresAt: row.expires_at,
      attempts: row.attempts,
      leaseUntil: row.lease_until,
    }));
  }

  /** Nothing was owed yet: give the claim back uncounted, to be looked at again at `nextAttemptAt`. */
  async release(job: ClaimedJob, nextAttemptAt: Date): Promise<void> {
    await this.pool.query(
      `UPDATE client_notification_jobs
          SET lease_until = NULL, attempts = attempts - 1, next_attempt_at = $3
        WHERE stream_id = $1 AND lease_until = $2`,
      [job.streamId, job.leaseUntil, nextAttemptAt],
    );
  }

  /** The attempt failed in a way worth retrying: try again at `nextAttemptAt`. */
  async retryLater(job: ClaimedJob, nextAttemptAt: Date, lastError: string): Promise<void> {
    await this.pool.query(
      `UPDATE client_notification_jobs
          SET lease_until = NULL, next_attempt_at = $3, last_error = $4
        WHERE stream_id = $1 AND lease_until = $2`,
      [job.streamId, job.leaseUntil, nextAttemptAt, lastError],
    );
  }

  /** The notification ended (its outcome is an event) or will never be owed. */
  async finish(streamId: string, now: Date, sql: Sql = this.pool): Promise<void> {
    await sql.query(
      `UPDATE client_notification_jobs SET done_at = $2, lease_until = NULL
        WHERE stream_id = $1 AND done_at IS NULL`,
      [streamId, now],
    );
  }
}
