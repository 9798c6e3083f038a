import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolSql, prepared } from '@backchannel/event-store';
import type { FailureWindow } from './failure-window.js';

/** Where a credential was refused: the admin API (admin token) or the device API (device token). */
export type AuthenticationSurface = 'admin' | 'device';

/**
 * Failed authentications per client address and surface, in PostgreSQL so that every replica of
 * every service counts into the same window. One row per address and surface, changed by one
 * atomic statement: the window opens with a first failure and counts on until it ends.
 */
@Injectable()
export class AuthenticationFailuresRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Statements of every request, prepared once per connection. */
  private readonly sql = poolSql(this.dataSource);

  async windowOf(address: string, surface: AuthenticationSurface): Promise<FailureWindow | null> {
    const rows: { failures: number; window_ends_at: Date }[] = await this.sql(
      prepared(`SELECT failures, window_ends_at FROM authentication_failures WHERE address = $1 AND surface = $2`),
      [address, surface],
    );
    const row = rows[0];
    return row === undefined ? null : { failures: row.failures, endsAt: row.window_ends_at };
  }

  /** One more failure: counted in the address's window, or the first of a new one when it has ended. */
  async recordFailure(
    address: string,
    surface: AuthenticationSurface,
    windowSeconds: number,
    now: Date,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO authentication_failures AS f (address, surface, failures, window_ends_at)
       VALUES ($1, $2, 1, $3::timestamptz + make_interval(secs => $4))
       ON CONFLICT (address, surface) DO UPDATE SET
         failures = CASE WHEN f.window_ends_at > $3::timestamptz THEN f.failures + 1 ELSE 1 END,
         window_ends_at = CASE WHEN f.window_ends_at > $3::timestamptz THEN f.window_ends_at ELSE EXCLUDED.window_ends_at END`,
      [address, surface, now, windowSeconds],
    );
  }
}
