// npm run bench:rebuild (deploy/bench-growth.sh rebuild starts PostgreSQL): `ops rebuild
// user-requests` on a log of BENCH_EVENTS (default 300000) realistic events seeded by
// test/bench/seed-events.mjs with the user_requests rows the services would have written. Prints
// the rates `ops` reports (events of the log per second, and of them those the projection reads
// and applies, end to end: the new table filled, indexed and swapped in) and checks the rebuilt table against the seeded one, row for row.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import pg from 'pg';
import { migrateSchema } from './support/schema.mjs';

const databaseUrl = process.env.DATABASE_URL;
const events = Number(process.env.BENCH_EVENTS ?? 300_000);
const repeat = Number(process.env.BENCH_REBUILD_REPEAT ?? 3);

await migrateSchema(databaseUrl);
console.log(`== seeding ${events} events, load ${loadavg()[0].toFixed(2)}`);
execFileSync(process.execPath, ['test/bench/seed-events.mjs', String(events)], {
  env: { ...process.env, DATABASE_URL: databaseUrl },
  stdio: 'inherit',
});
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
await client.query('CREATE TABLE user_requests_seeded AS SELECT * FROM user_requests');

const rates = [];
const applyRates = [];
for (let run = 1; run <= repeat; run++) {
  const output = execFileSync(process.execPath, ['dist/apps/ops/src/main.js', 'rebuild', 'user-requests', '--json'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  const report = JSON.parse(output.toString());
  rates.push(report.eventsPerSecond);
  applyRates.push(report.appliedPerSecond);
  console.log(
    `run ${run}: ${report.scanned} events read, ${report.applied} applied, ${report.rows} rows in ` +
      `${report.seconds.toFixed(2)} s: ${report.eventsPerSecond} events/s of the log, ` +
      `${report.appliedPerSecond} applied/s (load ${loadavg()[0].toFixed(2)})`,
  );
}
const difference = async (a, b) =>
  (await client.query(`SELECT count(*)::int AS n FROM (SELECT * FROM ${a} EXCEPT SELECT * FROM ${b}) d`)).rows[0].n;
const missing = await difference('user_requests_seeded', 'user_requests');
const extra = await difference('user_requests', 'user_requests_seeded');
await client.end();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `rebuild user-requests: median ${median(rates)} events/s of the log, ${median(applyRates)} applied/s, over ${repeat} runs`,
);
console.log(`rebuilt table against the seeded one: ${missing} rows missing, ${extra} rows extra`);
if (missing + extra > 0) process.exitCode = 1;
