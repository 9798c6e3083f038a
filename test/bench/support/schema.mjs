import { execFileSync } from 'node:child_process';

/** Brings DATABASE_URL's schema to what the services migrate (every table of every service): the `migrate` command. */
export async function migrateSchema(databaseUrl) {
  execFileSync(process.execPath, ['dist/apps/embedded/src/migrate.main.js'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
