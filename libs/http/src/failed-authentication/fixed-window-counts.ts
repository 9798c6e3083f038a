import { type PreparedStatement, type RunSql, prepared } from '@backchannel/event-store';
import type { FailureWindow } from './failure-window.js';

/**
 * Failures counted per key in a fixed window that opens with the first of them and ends
 * `windowSeconds` later, in a table of one row per key (its key columns, `failures`,
 * `window_ends_at`), changed by one atomic upsert: every replica of every service counts into the
 * same window. The one way abuse is counted here: failed authentications per address and surface
 * (FailedAuthenticationLimit), invalid_grant answers per client (the token service's throttle).
 */
export class FixedWindowCounts {
  private readonly read: PreparedStatement;
  private readonly count: PreparedStatement;

  /** `table` and `keyColumns` are identifiers of the code, never input. */
  constructor(
    private readonly run: RunSql,
    table: string,
    private readonly keyColumns: readonly string[],
  ) {
    const keys = keyColumns.join(', ');
    const at = keyColumns.length + 1;
    this.read = prepared(
      `SELECT failures, window_ends_at FROM ${table} WHERE ${keyColumns.map((column, i) => `${column} = $${i + 1}`).join(' AND ')}`,
    );
    this.count = prepared(
      `INSERT INTO ${table} AS w (${keys}, failures, window_ends_at)
       VALUES (${keyColumns.map((_, i) => `$${i + 1}`).join(', ')}, 1, $${at}::timestamptz + make_interval(secs => $${at + 1}))
       ON CONFLICT (${keys}) DO UPDATE SET
         failures = CASE WHEN w.window_ends_at > $${at}::timestamptz THEN w.failures + 1 ELSE 1 END,
         window_ends_at = CASE WHEN w.window_ends_at > $${at}::timestamptz THEN w.window_ends_at ELSE EXCLUDED.window_ends_at END`,
    );
  }

  /** The key's current or last window, null when it never failed (or its row was pruned). */
  async windowOf(key: readonly string[]): Promise<FailureWindow | null> {
    const [row] = await this.run<{ failures: number; window_ends_at: Date }>(this.read, this.keyed(key));
    return row === undefined ? null : { failures: row.failures, endsAt: row.window_ends_at };
  }

  /** One more failure: counted in the key's window, or the first of a new one when it has ended. */
  async recordFailure(key: readonly string[], windowSeconds: number, now: Date): Promise<void> {
    await this.run(this.count, [...this.keyed(key), now, windowSeconds]);
  }

  private keyed(key: readonly string[]): string[] {
    if (key.length !== this.keyColumns.length) throw new Error(`a key of ${this.keyColumns.join(', ')}`);
    return [...key];
  }
}
