import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { EVENT_STORE_MIGRATIONS, createDataSource, runMigrations } from './postgres.data-source.js';
import { openTestDataSource } from './test-events.fixture.js';

let admin: DataSource;

beforeAll(async () => {
  admin = await openTestDataSource(1);
});

afterAll(async () => {
  await admin.destroy();
});

describe('runMigrations', () => {
  it('migrates a fresh database exactly once when several processes start together', async () => {
    const database = `event_store_migration_test_${randomUUID().replaceAll('-', '')}`;
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(String(process.env.DATABASE_URL));
    url.pathname = `/${database}`;
    const processes = Array.from({ length: 4 }, () => createDataSource(url.toString(), { poolSize: 2 }));
    try {
      await Promise.all(processes.map((dataSource) => dataSource.initialize()));
      await Promise.all(processes.map(runMigrations));
      await runMigrations(processes[0]);

      const applied = await processes[0].query<{ name: string }[]>('SELECT name FROM schema_migrations ORDER BY id');
      expect(applied.map((migration) => migration.name)).toEqual(
        EVENT_STORE_MIGRATIONS.map((migration) => migration.name),
      );
      expect(await processes[0].query(`SELECT to_regclass('events') IS NOT NULL AS created`)).toEqual([
        { created: true },
      ]);
    } finally {
      await Promise.all(
        processes.filter((dataSource) => dataSource.isInitialized).map((dataSource) => dataSource.destroy()),
      );
      await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
    }
  });
});
