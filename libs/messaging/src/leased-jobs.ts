import type { EventStoreTransaction } from '@backchannel/event-store';
import type { DataSource } from 'typeorm';

/**
 * A table of retried deliveries: one row per job, identified by its key columns, with
 * `expires_at`, `next_attempt_at`, `attempts`, `lease_until`, `done_at` and `last_error` (see the
 * client_notification_jobs and device_notification_jobs migrations).
 */
export interface LeasedJobTable<Key extends string> {
  name: string;
  /** Job key property -> column (trusted constants: they are written into the SQL). */
  key: Record<Key, string>;
}

/** A job a worker holds the lease of. */
export type ClaimedJob<Key extends string> = Record<Key, string> & {
  expiresAt: Date;
  /** This attempt included. */
  attempts: number;
  leaseUntil: Date;
  /** Why the previous attempt failed, if one did. */
  lastError: string | null;
};

/** `detail` of failure events and `last_error` of jobs stay short (and never hold a secret). */
const MAX_DETAIL_LENGTH = 200;

/** A failure detail cut to a length fit for an event, a job's last_error and a log line. */
export function shortDetail(detail: string): string {
  return detail.length <= MAX_DETAIL_LENGTH ? detail : `${detail.slice(0, MAX_DETAIL_LENGTH - 1)}…`;
}

/** Where a statement runs: the pool, or the transaction that records the outcome. */
export type SqlRunner = Pick<EventStoreTransaction, 'query'>;

/**
 * Leased jobs in PostgreSQL: due jobs are claimed with a lease (`FOR UPDATE SKIP LOCKED`), so a
 * job is in one worker's hands at a time and a crashed worker's jobs are claimed again once their
 * lease lapses. Every time is the caller's clock, the one the decider is given, so "due" here and
 * "due" in the decider agree.
 */
export class LeasedJobs<Key extends string> {
  private readonly pool: SqlRunner;
  private readonly properties: Key[];
  private readonly columns: string[];

  constructor(
    dataSource: DataSource,
    private readonly table: LeasedJobTable<Key>,
  ) {
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
    this.properties = Object.keys(table.key) as Key[];
    this.columns = this.properties.map((property) => table.key[property]);
  }

  /** Adds the job, due at `dueAt`, unless it exists (so a redelivered event schedules nothing twice). */
  async schedule(
    key: Record<Key, string>,
    expiresAt: Date | string,
    dueAt: Date | string,
    sql: SqlRunner = this.pool,
  ): Promise<void> {
    const values = this.keyValues(key);
    const first = values.length + 1;
    await sql.query(
      `INSERT INTO ${this.table.name} (${this.columns.join(', ')}, expires_at, next_attempt_at)
       VALUES (${values.map((_, index) => `$${index + 1}`).join(', ')}, $${first}, $${first + 1})
       ON CONFLICT (${this.columns.join(', ')}) DO NOTHING`,
      [...values, expiresAt, dueAt],
    );
  }

  /** Something happened that may make the job due: look at it at `now` at the latest. */
  async makeDue(key: Record<Key, string>, now: Date): Promise<boolean> {
    const rows = await this.pool.query(
      `UPDATE ${this.table.name} SET next_attempt_at = least(next_attempt_at, $1)
        WHERE ${this.keyCondition(1)} AND done_at IS NULL
        RETURNING 1`,
      [now, ...this.keyValues(key)],
    );
    return rows.length > 0;
  }

  /**
   * Leases up to `limit` due jobs for `leaseMs` and counts the attempt. Rows another worker is
   * claiming are skipped, and a leased row is not due until its lease lapses.
   */
  async claimDue(now: Date, leaseMs: number, limit: number): Promise<ClaimedJob<Key>[]> {
    const columns = this.columns.join(', ');
    const rows = await this.pool.query<Record<string, unknown>>(
      `UPDATE ${this.table.name}
          SET lease_until = $2, attempts = attempts + 1
        WHERE (${columns}) IN (
          SELECT ${columns} FROM ${this.table.name}
           WHERE done_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
           ORDER BY next_attempt_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING ${columns}, expires_at, attempts, lease_until, last_error`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.map((row) => {
      const key = Object.fromEntries(this.properties.map((property) => [property, row[this.table.key[property]]]));
      return {
        ...(key as Record<Key, string>),
        expiresAt: row['expires_at'] as Date,
        attempts: row['attempts'] as number,
        leaseUntil: row['lease_until'] as Date,
        lastError: row['last_error'] as string | null,
      };
    });
  }

  /** Nothing was owed yet: give the claim back uncounted, to be looked at again at `nextAttemptAt`. */
  async release(job: ClaimedJob<Key>, nextAttemptAt: Date): Promise<void> {
    await this.updateLeased(job, 'attempts = attempts - 1, next_attempt_at = $1', [nextAttemptAt]);
  }

  /** The attempt failed in a way worth retrying: try again at `nextAttemptAt`. */
  async retryLater(job: ClaimedJob<Key>, nextAttemptAt: Date, lastError: string): Promise<void> {
    await this.updateLeased(job, 'next_attempt_at = $1, last_error = $2', [nextAttemptAt, lastError]);
  }

  /** The job ended (its outcome is an event) or will never be owed. */
  async finish(key: Record<Key, string>, now: Date, sql: SqlRunner = this.pool): Promise<void> {
    await sql.query(
      `UPDATE ${this.table.name} SET done_at = $1, lease_until = NULL
        WHERE ${this.keyCondition(1)} AND done_at IS NULL`,
      [now, ...this.keyValues(key)],
    );
  }

  /**
   * Updates the job only while this claim's lease holds (a lapsed lease may be another worker's
   * now). `assignments` use $1, $2, ... for `parameters`.
   */
  private async updateLeased(job: ClaimedJob<Key>, assignments: string, parameters: unknown[]): Promise<void> {
    const lease = parameters.length + this.columns.length + 1;
    await this.pool.query(
      `UPDATE ${this.table.name} SET lease_until = NULL, ${assignments}
        WHERE ${this.keyCondition(parameters.length)} AND lease_until = $${lease}`,
      [...parameters, ...this.keyValues(job), job.leaseUntil],
    );
  }

  /** `k1 = $<after + 1> AND k2 = $<after + 2>`: the job's row, its key after `after` other parameters. */
  private keyCondition(after: number): string {
    return this.columns.map((column, index) => `${column} = $${after + index + 1}`).join(' AND ');
  }

  private keyValues(key: Record<Key, string>): string[] {
    return this.properties.map((property) => key[property]);
  }
}
