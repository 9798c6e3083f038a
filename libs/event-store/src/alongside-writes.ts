import { type PreparedStatement, prepared } from './sql.js';

/**
 * Writes that belong with an append (a read model, a job's end, a kept response), made in the
 * append's own statement: each is a data-modifying statement (INSERT, UPDATE or DELETE) run as a
 * CTE of the append, so it happens exactly when the events are stored, atomically, without a
 * transaction around them: one round trip where BEGIN, the append, the write and COMMIT took four.
 *
 * Each statement must act only `WHERE EXISTS (SELECT FROM appending)`: `appending` has a row
 * only when the append goes ahead (the expected version holds), so a conflicting append writes
 * nothing at all; a later statement may instead read an earlier one's RETURNING by its name. The
 * parameters are numbered from $1, for these statements alone.
 */
export interface AlongsideWrites {
  statements: readonly { name: string; sql: string }[];
  parameters: readonly unknown[];
}

/** The CTE that says the append goes ahead; the append defines it over its own head check. */
export const APPENDING = 'appending';

/** `$n` → `$(n + by)`: the writes' parameters come after the append's own. */
function shiftParameters(sql: string, by: number): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
}

/** The writes as CTEs (`, name AS (statement)` each), their parameters after the first `offset`. */
export function alongsideCtes(writes: AlongsideWrites, offset: number): string {
  const guards = [APPENDING];
  return writes.statements
    .map(({ name, sql }) => {
      // guarded by appending itself, or by reading a write that is
      if (!guards.some((guard) => new RegExp(`\\b${guard}\\b`).test(sql))) {
        throw new Error(`alongside write ${name} must act only WHERE EXISTS (SELECT FROM ${APPENDING})`);
      }
      guards.push(name);
      return `,\n    ${name} AS (${shiftParameters(sql, offset)})`;
    })
    .join('');
}

/**
 * The same writes as a statement of their own, always going ahead: for a transaction that makes
 * them beside other work (after a lock, say), so each write is written once, in one shape.
 */
export function alongsideStatement(writes: AlongsideWrites): { statement: PreparedStatement; parameters: unknown[] } {
  const text = `WITH ${APPENDING} AS (SELECT)${alongsideCtes(writes, 0)}\n  SELECT 1`;
  return { statement: prepared(text), parameters: [...writes.parameters] };
}
