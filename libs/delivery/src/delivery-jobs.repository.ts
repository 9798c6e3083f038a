import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type AlongsideWrites, type RunSql, alongsideStatement, poolSql, prepared } from '@backchannel/event-store';

/** A kind of delivery, worked by its own workers: ping-delivery's and the notifier's. */
export type DeliveryQueue = 'client-notification' | 'device-notification';

/** One delivery: of a request (its stream) to one recipient (a client, a device). */
export interface DeliveryJobKey {
  queue: DeliveryQueue;
  streamId: string;
  recipient: string;
}

/** A job a worker holds the lease of. */
export interface DeliveryJob extends DeliveryJobKey {
  expiresAt: Date;
  /** This claim included. */
  attempts: number;
  leaseUntil: Date;
  /** Why the previous attempt failed, if one did. */
  lastError: string | null;
}

export interface NewDeliveryJob extends DeliveryJobKey {
  expiresAt: Date | string;
  /** When to look at it first. */
  dueAt: Date | string;
  /** The event types that make it due at once (none: only its time does). */
  wakeOn?: readonly string[];
}

interface JobRow {
  queue: DeliveryQueue;
  stream_id: string;
  recipient: string;
  expires_at: Date;
  attempts: number;
  lease_until: Date | null;
  last_error: string | null;
}

function toDeliveryJob(row: JobRow): DeliveryJob {
  return {
    queue: row.queue,
    streamId: row.stream_id,
    recipient: row.recipient,
    expiresAt: row.expires_at,
    attempts: row.attempts,
    leaseUntil: row.lease_until!,
    lastError: row.last_error,
  };
}

/**
 * The delivery_jobs table: every retried delivery, of both kinds. Due jobs are claimed with a lease
 * (`FOR UPDATE SKIP LOCKED`), so a job is in one worker's hands at a time and a crashed worker's
 * jobs are claimed again once their lease lapses. The request's stream is the truth: a job only
 * says when to look at it again. Every time is the caller's clock, the one the decider is given.
 */
@Injectable()
export class DeliveryJobs {
  /** Prepared statements on the pool: a worker runs these many times a second. */
  private readonly sql: RunSql;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.sql = poolSql(dataSource);
  }

  /**
   * Adds the jobs, in one statement, except those that exist: a redelivered event schedules nothing
   * twice. With `lease`, the first `limit` of them that are due at `now` are claimed in the same
   * statement (leased, the attempt counted, as claimDue does) and returned: their worker starts
   * them without a claim of its own. A job that existed already is never returned.
   */
  async schedule(
    jobs: readonly NewDeliveryJob[],
    lease?: { now: Date; leaseMs: number; limit: number },
  ): Promise<DeliveryJob[]> {
    if (jobs.length === 0) return [];
    const rows = await this.sql<JobRow>(
      prepared(`INSERT INTO delivery_jobs (queue, stream_id, recipient, expires_at, next_attempt_at, wake_on, lease_until, attempts)
       SELECT job.queue, job.stream_id, job.recipient, job.expires_at, job.due_at,
         ARRAY(SELECT jsonb_array_elements_text(job.wake_on)),
         CASE WHEN leased THEN $3::timestamptz END, CASE WHEN leased THEN 1 ELSE 0 END
       FROM jsonb_to_recordset($1::jsonb) AS job (
         ordinal integer, queue text, stream_id text, recipient text, expires_at timestamptz, due_at timestamptz,
         wake_on jsonb),
         LATERAL (SELECT job.ordinal <= $2::integer AND job.due_at <= $4::timestamptz AS leased) AS claim
       ON CONFLICT (queue, stream_id, recipient) DO NOTHING
       RETURNING queue, stream_id, recipient, expires_at, attempts, lease_until, last_error`),
      [
        JSON.stringify(
          jobs.map((job, index) => ({
            ordinal: index + 1,
            queue: job.queue,
            stream_id: job.streamId,
            recipient: job.recipient,
            expires_at: job.expiresAt,
            due_at: job.dueAt,
            wake_on: job.wakeOn ?? [],
          })),
        ),
        // without a lease: room for none
        lease?.limit ?? 0,
        lease ? new Date(lease.now.getTime() + lease.leaseMs) : null,
        lease?.now ?? null,
      ],
    );
    return rows.filter((row) => row.lease_until !== null).map(toDeliveryJob);
  }

  /**
   * Events happened to requests (`streamId`, `eventType` pairs): their jobs of `queue` that wait
   * for such an event are due now, in one statement. A job leased meanwhile remembers it, so giving
   * it back does not lose the wake-up. Returns how many jobs were woken.
   */
  async wake(
    queue: DeliveryQueue,
    happened: readonly { streamId: string; eventType: string }[],
    now: Date,
  ): Promise<number> {
    if (happened.length === 0) return 0;
    const rows = await this.sql(
      // rows locked in stream order (byte order, as JavaScript compares the ASCII ids), as a group of
      // appends locks them (GroupCommits): the two cannot deadlock
      prepared(`UPDATE delivery_jobs SET next_attempt_at = least(next_attempt_at, $2), woken = true
        FROM (
          SELECT queue, stream_id, recipient FROM delivery_jobs job
          WHERE queue = $1 AND stream_id = ANY($3::text[]) AND done_at IS NULL
            AND EXISTS (SELECT FROM unnest($3::text[], $4::text[]) AS happened (stream_id, event_type)
              WHERE happened.stream_id = job.stream_id AND happened.event_type = ANY(job.wake_on))
          ORDER BY stream_id COLLATE "C", recipient COLLATE "C"
          FOR UPDATE
        ) AS due
        WHERE (delivery_jobs.queue, delivery_jobs.stream_id, delivery_jobs.recipient) = (due.queue, due.stream_id, due.recipient)
        RETURNING 1`),
      [queue, now, happened.map((event) => event.streamId), happened.map((event) => event.eventType)],
    );
    return rows.length;
  }

  /**
   * Leases up to `limit` due jobs of the queue for `leaseMs` and counts the attempt. Rows another
   * worker is claiming are skipped, and a leased row is not due until its lease lapses.
   */
  async claimDue(queue: DeliveryQueue, now: Date, leaseMs: number, limit: number): Promise<DeliveryJob[]> {
    const rows = await this.sql<JobRow>(
      prepared(`UPDATE delivery_jobs SET lease_until = $3, attempts = attempts + 1, woken = false
        WHERE (queue, stream_id, recipient) IN (
          SELECT queue, stream_id, recipient FROM delivery_jobs
           WHERE queue = $1 AND done_at IS NULL AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
           ORDER BY next_attempt_at
           LIMIT $4
           FOR UPDATE SKIP LOCKED)
        RETURNING queue, stream_id, recipient, expires_at, attempts, lease_until, last_error`),
      [queue, now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.map(toDeliveryJob);
  }

  /**
   * Nothing was owed yet: give the claim back uncounted, to be looked at again at `until`, or at
   * once if an event woke the job while it was leased.
   */
  async release(job: DeliveryJob, until: Date, now: Date): Promise<void> {
    // typed: PostgreSQL takes the untyped parameters of a CASE for text, which a timestamptz column refuses
    await this.updateLeased(
      job,
      `attempts = attempts - 1, next_attempt_at = CASE WHEN woken THEN $2::timestamptz ELSE $1::timestamptz END`,
      [until, now],
    );
  }

  /** The attempt failed in a way worth retrying: try again at `at`. */
  async retryLater(job: DeliveryJob, at: Date, lastError: string): Promise<void> {
    await this.updateLeased(job, 'next_attempt_at = $1, last_error = $2', [at, lastError]);
  }

  /** The job ended (its outcome is an event) or will never be owed. */
  async finish(job: DeliveryJobKey, now: Date): Promise<void> {
    const { statement, parameters } = alongsideStatement(this.finishing(job, now));
    await this.sql(statement, parameters);
  }

  /** The job's end, written with the append of its outcome (in the same statement). */
  finishing(job: DeliveryJobKey, now: Date): AlongsideWrites {
    return {
      statements: [
        {
          name: 'job_finished',
          sql: `UPDATE delivery_jobs SET done_at = $4, lease_until = NULL
                 WHERE queue = $1 AND stream_id = $2 AND recipient = $3 AND done_at IS NULL
                   AND EXISTS (SELECT FROM appending)`,
        },
      ],
      parameters: [job.queue, job.streamId, job.recipient, now],
    };
  }

  /** Updates the job only while this claim's lease holds (a lapsed lease may be another worker's now). */
  private async updateLeased(job: DeliveryJob, assignments: string, parameters: unknown[]): Promise<void> {
    const key = parameters.length;
    await this.sql(
      prepared(`UPDATE delivery_jobs SET lease_until = NULL, ${assignments}
        WHERE queue = $${key + 1} AND stream_id = $${key + 2} AND recipient = $${key + 3} AND lease_until = $${key + 4}`),
      [...parameters, job.queue, job.streamId, job.recipient, job.leaseUntil],
    );
  }
}
