import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** CIBA §11: a client that polls faster than its interval gets slow_down, and 5 s more for every later poll. */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;

export type PollVerdict = { kind: 'in_time' } | { kind: 'too_fast'; intervalSeconds: number };

/**
 * Poll throttling is operational state, not history: one row per request stream in PostgreSQL,
 * updated by a single atomic statement, so it holds across token-service replicas. The first
 * poll only creates the row and is never throttled.
 */
@Injectable()
export class PollThrottleRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async recordPoll(streamId: string, baseIntervalSeconds: number, now: Date, expiresAt: Date): Promise<PollVerdict> {
    // `previous` sees the row as it was before this statement; concurrent polls serialise on the
    // row lock and each re-evaluates the SET against the newest row, so the interval never drops.
    const rows: { interval_seconds: number; previous_interval: number | null }[] = await this.dataSource.query(
      `WITH previous AS (SELECT interval_seconds FROM poll_throttle WHERE stream_id = $1)
       , polled AS (
         INSERT INTO poll_throttle AS t (stream_id, last_poll_at, interval_seconds, expires_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (stream_id) DO UPDATE SET
           interval_seconds = t.interval_seconds
             + CASE WHEN EXCLUDED.last_poll_at < t.last_poll_at + make_interval(secs => t.interval_seconds)
                    THEN $5 ELSE 0 END,
           last_poll_at = EXCLUDED.last_poll_at
         RETURNING interval_seconds)
       SELECT polled.interval_seconds, (SELECT interval_seconds FROM previous) AS previous_interval FROM polled`,
      [streamId, now, baseIntervalSeconds, expiresAt, SLOW_DOWN_INCREMENT_SECONDS],
    );
    const { interval_seconds: intervalSeconds, previous_interval: previousInterval } = rows[0]!;
    return intervalSeconds > (previousInterval ?? baseIntervalSeconds)
      ? { kind: 'too_fast', intervalSeconds }
      : { kind: 'in_time' };
  }
}
