import { DataSource, MigrationExecutor, type MigrationInterface } from 'typeorm';
import { CreateEventLog1763700000000 } from './migrations/1763700000000-create-event-log.js';
import { AuditCheckpoints1765100001100 } from './migrations/1765100001100-audit-checkpoints.js';

/** A TypeORM migration class. Its name ends with a 13-digit timestamp: all migrations run in that order. */
export type Migration = new () => MigrationInterface;

/** The event log's own migrations: every data source knows them. */
export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  CreateEventLog1763700000000,
  AuditCheckpoints1765100001100,
];

const DEFAULT_POOL_SIZE = 10;

/** Any constant shared by every Backchannel process: they all take this lock before migrating. */
const MIGRATION_LOCK_KEY = 7_364_210_518;

export interface DataSourceSettings {
  poolSize?: number;
  applicationName?: string;
  /**
   * The migrations of the tables this process uses, besides the event log's (each module that owns
   * tables declares them; see the http lib's serviceRootModule). Order does not matter here.
   */
  migrations?: readonly Migration[];
}

/** A PostgreSQL DataSource (not yet initialized) that knows the event log's and the given migrations. */
export function createDataSource(databaseUrl: string, options: DataSourceSettings = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    applicationName: options.applicationName,
    migrations: [...new Set([...EVENT_STORE_MIGRATIONS, ...(options.migrations ?? [])])],
    migrationsTableName: 'schema_migrations',
    // statements are written without waiting for the ones before them (see PipelinedConnection)
    extra: { pipeline: true },
  });
}

/**
 * Applies the data source's pending migrations in timestamp order, all in one transaction. Several
 * services start at once, so the run is serialised across processes with a PostgreSQL advisory
 * lock held on the migrating connection; whoever comes second finds nothing pending. A service
 * knows only the migrations of the tables it uses; those of the others are left to them.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await new MigrationExecutor(dataSource, runner).executePendingMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
