import { databaseErrorOf } from '@backchannel/event-store';

/** PostgreSQL SQLSTATEs the directory turns into its own errors. */
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** The name of the constraint `error` violated, when it is a violation of the given kind. */
export function violatedConstraint(error: unknown, sqlState: string): string | undefined {
  const cause = databaseErrorOf(error);
  return cause?.code === sqlState ? cause.constraint : undefined;
}
