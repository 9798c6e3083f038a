import type { RunSql } from './sql.js';

/**
 * When a row of an operational table may go: `endedAt` names the column (or SQL expression) at which
 * the row's work ended (expired, done, answered, failed); rows whose end is older than the
 * retention age are pruned. Events are never pruned: they are the record. A module that owns a
 * table declares its rules beside its migrations, in a static `retention`.
 */
export interface RetentionRule {
  table: string;
  endedAt: string;
  /** Dead letters are kept longer than the rest, for someone to look at them. */
  kind?: 'operational' | 'dead_letter';
}

export interface RetentionAges {
  operationalDays: number;
  deadLetterDays: number;
}

const IDENTIFIER = /^[a-z_]+$/;
/** Rows deleted per statement, so that pruning a large backlog never holds long locks. */
const BATCH = 5_000;

/** Deletes the rows past their retention age, a batch at a time; returns how many went, per table. */
export async function pruneExpiredRows(
  run: RunSql,
  rules: readonly RetentionRule[],
  ages: RetentionAges,
  now: Date,
): Promise<Record<string, number>> {
  const pruned: Record<string, number> = {};
  for (const rule of rules) {
    if (!IDENTIFIER.test(rule.table)) throw new Error(`not a table name: ${rule.table}`);
    const days = rule.kind === 'dead_letter' ? ages.deadLetterDays : ages.operationalDays;
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    pruned[rule.table] = 0;
    for (;;) {
      const deleted = await run<{ n: number }>(
        `WITH gone AS (
           DELETE FROM ${rule.table} WHERE ctid IN (
             SELECT ctid FROM ${rule.table} WHERE ${rule.endedAt} < $1 LIMIT ${BATCH})
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [cutoff],
      );
      const count = deleted[0]?.n ?? 0;
      pruned[rule.table] += count;
      if (count < BATCH) break;
    }
  }
  return pruned;
}
