import { createHash } from 'node:crypto';
import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';

const { DatabaseError } = pg;
import type { DataSource, QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * A statement of the hot path that PostgreSQL parses and plans once per connection (a named
 * prepared statement) instead of on every call: for the log's append, a recursive CTE, that is most
 * of its cost. The name is derived from the text, so one name never means two statements.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const preparedByText = new Map<string, PreparedStatement>();

/** The prepared statement of a text; one per distinct text, so a text built at run time can be prepared too. */
export function prepared(text: string): PreparedStatement {
  let statement = preparedByText.get(text);
  if (!statement) {
    statement = { name: `bc_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
    preparedByText.set(text, statement);
  }
  return statement;
}

/** Plain text (parsed each time: for statements that vary or are rare), or prepared. */
export type Statement = string | PreparedStatement;

/** Runs one parameterized statement ($1, $2, ...) and returns its rows. */
export type RunSql = <Row>(statement: Statement, parameters: unknown[]) => Promise<Row[]>;

async function onClient<Row>(client: Pick<PoolClient, 'query'>, statement: PreparedStatement, parameters: unknown[]) {
  const result = await client.query<QueryResultRow>({ name: statement.name, text: statement.text, values: parameters });
  return result.rows as Row[];
}

/**
 * Statements on the pool, each in its own transaction. Prepared ones go straight to the pg pool
 * (TypeORM's query takes text only); the others through TypeORM.
 */
export function poolSql(dataSource: DataSource): RunSql {
  return async <Row>(statement: Statement, parameters: unknown[]) => {
    if (typeof statement === 'string') return (await dataSource.query(statement, parameters)) as Row[];
    const pool = (dataSource.driver as PostgresDriver).master as Pool;
    return onPooledClient<Row>(pool, statement, parameters);
  };
}

/**
 * SQLSTATE classes that mean the session, not the statement, failed: connection exception,
 * insufficient resources, operator intervention (a shutdown, a crash of the server), system error,
 * internal error.
 */
const SESSION_FAILURE_CLASSES = new Set(['08', '53', '57', '58', 'XX']);

/** PostgreSQL refused the statement (a constraint, a conflict, bad data) and the session goes on. */
function isStatementRefusal(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  return error.severity === 'ERROR' && !SESSION_FAILURE_CLASSES.has(error.code?.slice(0, 2) ?? 'XX');
}

/**
 * One statement on a client of the pool. Not `pool.query`: it hands the client back with the
 * statement's error, and the pool then closes the connection, for any error, even a refusal by
 * PostgreSQL (a unique violation: the version conflict of an append) on a connection that is fine.
 * Under load that is a new connection, a new backend and every statement prepared again, for
 * each conflict. So a refusal of the statement keeps the connection; anything else (a FATAL, a
 * server going down, a broken socket) closes it, as before: such a session may never answer again.
 */
async function onPooledClient<Row>(pool: Pool, statement: PreparedStatement, parameters: unknown[]): Promise<Row[]> {
  const client = await pool.connect();
  let failure: Error | undefined;
  // a checked-out client has no listener of its own: unheard, a dying socket's 'error' would be
  // thrown out of pg's handlers (as pool.query does, listen while the statement runs)
  const onSessionError = (error: Error) => (failure = error);
  client.on('error', onSessionError);
  try {
    return await onClient<Row>(client, statement, parameters);
  } catch (error) {
    if (!isStatementRefusal(error)) failure ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.removeListener('error', onSessionError);
    client.release(failure);
  }
}

/** Statements on the connection of a query runner (inside its transaction, if one is open). */
export function queryRunnerSql(runner: QueryRunner): RunSql {
  return async <Row>(statement: Statement, parameters: unknown[]) => {
    if (typeof statement === 'string') return (await runner.query(statement, parameters, true)).records as Row[];
    const client = (await runner.connect()) as PoolClient;
    return onClient<Row>(client, statement, parameters);
  };
}

/** The PostgreSQL error behind a failed statement, whichever way it ran (TypeORM wraps it). */
export function databaseErrorOf(error: unknown): { code?: string; constraint?: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const wrapped = (error as { driverError?: unknown }).driverError;
  return (typeof wrapped === 'object' && wrapped !== null ? wrapped : error) as { code?: string; constraint?: string };
}
