import { QueryFailedError } from 'typeorm';

/** PostgreSQL SQLSTATEs the directory turns into its own errors. */
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** The name of the constraint `error` violated, when it is a violation of the given kind. */
export function violatedConstraint(error: unknown, sqlState: string): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  return code === sqlState ? constraint : undefined;
}
