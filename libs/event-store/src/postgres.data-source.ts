import { DataSource, MigrationExecutor, type MigrationInterface } from 'typeorm';
import { InitialSchema1763700000000 } from './migrations/1763700000000-initial-schema.js';
import { DeadLetters1763700000001 } from './migrations/1763700000001-dead-letters.js';
import { ClientNotificationJobs1763700000002 } from './migrations/1763700000002-client-notification-jobs.js';
import { DeviceChannels1763700000003 } from './migrations/1763700000003-device-channels.js';
import { Authenticator1763700000004 } from './migrations/1763700000004-authenticator.js';
import { PendingRequestQuotas1763700000005 } from './migrations/1763700000005-pending-request-quotas.js';

/** The migration classes, in order. */
export const ALL_MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1763700000000,
  DeadLetters1763700000001,
  ClientNotificationJobs1763700000002,
  DeviceChannels1763700000003,
  Authenticator1763700000004,
  PendingRequestQuotas1763700000005,
];

const DEFAULT_POOL_SIZE = 10;

/** Any constant shared by every Backchannel process: they all take this lock before migrating. */
const MIGRATION_LOCK_KEY = 7_364_210_518;

export interface DataSourceSettings {
  poolSize?: number;
  applicationName?: string;
}

/** A PostgreSQL DataSource (not yet initialized) that knows every migration. */
export function createDataSource(databaseUrl: string, options: DataSourceSettings = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    applicationName: options.applicationName,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'schema_migrations',
  });
}

/**
 * Applies the pending migrations, all in one transaction. Several services start at once, so the
 * run is serialised across processes with a PostgreSQL advisory lock held on the migrating
 * connection; whoever comes second finds nothing pending.
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
