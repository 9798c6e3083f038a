import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolSql, prepared } from '@backchannel/event-store';

/** How many invalid_grant answers a client may get in a window before it is slowed down. */
export interface InvalidGrantBudget {
  budget: number;
  windowSeconds: number;
}

/**
 * auth_req_id guessing (checklist U-1): each client's invalid_grant answers are counted in a
 * window that opens with the first one; once they reach the budget, the client is over it until
 * the window ends. One row per client in PostgreSQL, changed by single atomic statements, so it
 * holds across token-service replicas. Kept apart from the per-request poll throttle, which
 * slows a client polling one auth_req_id too fast.
 */
@Injectable()
export class InvalidGrantThrottleRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Statements of every request, prepared once per connection. */
  private readonly sql = poolSql(this.dataSource);

  async isOverBudget(clientId: string, { budget }: InvalidGrantBudget, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.sql(
      prepared(`SELECT 1 FROM invalid_grant_throttle WHERE client_id = $1 AND failures >= $2 AND window_ends_at > $3`),
      [clientId, budget, now],
    );
    return rows.length > 0;
  }

  /** One more invalid_grant for the client: counted in its window, or the first of a new one. */
  async recordInvalidGrant(clientId: string, { windowSeconds }: InvalidGrantBudget, now: Date): Promise<void> {
    await this.sql(
      prepared(`INSERT INTO invalid_grant_throttle AS t (client_id, failures, window_ends_at)
       VALUES ($1, 1, $2::timestamptz + make_interval(secs => $3))
       ON CONFLICT (client_id) DO UPDATE SET
         failures = CASE WHEN t.window_ends_at > $2 THEN t.failures + 1 ELSE 1 END,
         window_ends_at = CASE WHEN t.window_ends_at > $2 THEN t.window_ends_at ELSE EXCLUDED.window_ends_at END`),
      [clientId, now, windowSeconds],
    );
  }
}
