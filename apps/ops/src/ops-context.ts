import { ConfigurationError, databaseUrlFromEnvironment } from '@backchannel/config';
import { type RunSql, createDataSource, poolSql, queryRunnerSql } from '@backchannel/event-store';
import type { DataSource } from 'typeorm';

/** What a command has: the database (read-only use), the output, and how it was asked to print. */
export interface OpsContext {
  sql: RunSql;
  /** For the libraries' own stores that take one (the dead letters). */
  dataSource: DataSource;
  /** Runs `work` in one transaction, on one connection (locks hold across its statements). */
  transaction: <T>(work: (sql: RunSql) => Promise<T>) => Promise<T>;
  json: boolean;
  out: (line: string) => void;
  /** Progress of long work, on a terminal only (stderr), so that piped output stays clean. */
  progress: (message: string) => void;
}

/** A command's exit code: 0 done, 1 found a problem (a break, nothing found), 2 used wrongly. */
export type ExitCode = 0 | 1 | 2;

export class UsageError extends Error {}

/** Settings a command reads as the services do (`keyEncryptionKeysFromEnvironment`, ...): a usage error when wrong or missing. */
export function settingOf<T>(read: (env: NodeJS.ProcessEnv) => T, env: NodeJS.ProcessEnv, why: string): T {
  try {
    return read(env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new UsageError(`${error.message}\n${why}`);
  }
}

/** The database of DATABASE_URL, as the services use it (one small pool). */
export async function openDatabase(env: NodeJS.ProcessEnv): Promise<DataSource> {
  // with DATABASE_PASSWORD put in, as the services read it (a deployment keeps it in a secret)
  const url = databaseUrlFromEnvironment(env);
  if (url === null) throw new UsageError('DATABASE_URL must be set to a postgres:// URL.');
  const dataSource = createDataSource(url, { poolSize: 2, applicationName: 'backchannel-ops' });
  await dataSource.initialize();
  return dataSource;
}

export function contextOf(dataSource: DataSource, json: boolean): OpsContext {
  const onTerminal = process.stderr.isTTY === true;
  return {
    sql: poolSql(dataSource),
    dataSource,
    transaction: (work) => dataSource.transaction((manager) => work(queryRunnerSql(manager.queryRunner!))),
    json,
    out: (line) => process.stdout.write(`${line}\n`),
    progress: (message) => {
      if (onTerminal) process.stderr.write(`\r${message}`);
    },
  };
}
