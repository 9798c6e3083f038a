import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CacheInvalidation } from './cache-invalidation.js';
import { DatabasePoolMetrics } from './event-store.metrics.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { createDataSource, type DataSourceSettings, runMigrations } from './postgres.data-source.js';

export interface EventStoreModuleOptions extends DataSourceSettings {
  databaseUrl: string;
  /** Apply pending migrations on start (default true); false when a deployment job runs them. */
  runMigrations?: boolean;
}

// PostgreSQL may still be starting beside the service: keep trying for about half a minute.
const CONNECT_ATTEMPTS = 10;
const CONNECT_RETRY_DELAY_MS = 3000;

async function openDataSource(options: EventStoreModuleOptions): Promise<DataSource> {
  const dataSource = await createDataSource(options.databaseUrl, options).initialize();
  if (options.runMigrations === false) return dataSource;
  try {
    await runMigrations(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/**
 * A global module providing the DataSource and PostgresEventStore. @nestjs/typeorm initializes the
 * DataSource (retrying while PostgreSQL starts) and destroys it at application shutdown, after
 * every other module has stopped using it. `migrations`: those of the tables the process uses.
 */
@Module({})
export class EventStoreModule {
  static forRoot(options: EventStoreModuleOptions): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ retryAttempts: CONNECT_ATTEMPTS, retryDelay: CONNECT_RETRY_DELAY_MS }),
          dataSourceFactory: () => openDataSource(options),
        }),
      ],
      providers: [PostgresEventStore, DatabasePoolMetrics, CacheInvalidation],
      exports: [PostgresEventStore, CacheInvalidation],
    };
  }
}
