/**
 * Runs only the embedded PostgreSQL server, for the test command on a machine without
 * DATABASE_URL: `node dist/apps/embedded/src/postgres.main.js <dataDir> <port> <database> [--keep]`.
 * The database is created afresh, unless `--keep` asks to start on the data already there (a restart
 * after a crash, where PostgreSQL runs its recovery). Prints `ready <url>` once the database accepts
 * connections; stops on SIGTERM or SIGINT.
 */
import { startEmbeddedPostgres } from './embedded-postgres.js';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const [dataDir = '.data/test-postgres', port = '54329', database = 'backchannel_test'] = args.filter(
  (arg) => arg !== '--keep',
);
const postgres = await startEmbeddedPostgres({ dataDir, port: Number(port), database, recreateDatabase: !keep });
process.stdout.write(`ready ${postgres.url}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void postgres.stop().finally(() => process.exit(0));
  });
}
