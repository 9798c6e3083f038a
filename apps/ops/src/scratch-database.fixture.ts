import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Migration } from '@backchannel/event-store';
import pg from 'pg';
import { migrationFiles } from '../../../test/setup/migration-files.js';

/**
 * A database of its own for an ops int spec (a command over the shared test database would see
 * other tests' rows), on the test server, with every migration a service would run.
 */
export interface ScratchDatabase {
  url: string;
  migrations: Migration[];
  drop(): Promise<void>;
}

export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const database = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  const serverUrl = new URL(process.env.DATABASE_URL!);
  const onServer = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: serverUrl.toString() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await onServer(`CREATE DATABASE ${database}`);
  const modules = await Promise.all(migrationFiles(path.resolve('.')).map((file) => import(file)));
  return {
    url: Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString(),
    migrations: modules.flatMap((classes: Record<string, Migration>) => Object.values(classes)),
    drop: () => onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  };
}
