// npm run bench:growth: does the cost of a request grow with the history in the store? Runs the
// embedded profile (npm start's process) on one database grown in steps (BENCH_SIZES, default
// 0,10000,1000000 events, seeded by test/bench/seed-events.mjs with the app stopped), and at each
// step runs BENCH_FLOWS complete poll flows (default 300) at BENCH_CONCURRENCY (default 8),
// timing each call: bc-authorize, the device list (every call until the request shows), the
// decision and the token. Prints p50/p95/p99 per call and log size, and EXPLAIN ANALYZE of the
// hot statements on the seeded data (the heaviest user) to BENCH_EXPLAIN_FILE when set.
// The workers sign in as seeded users: half with the longest histories, half the last registered.
// BENCH_PORT (3949) and BENCH_POSTGRES_PORT (54349) choose the ports; BENCH_WORK_DIR the folder.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../dist/apps/embedded/src/embedded-postgres.js';

const flows = Number(process.env.BENCH_FLOWS ?? 300);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const sizes = (process.env.BENCH_SIZES ?? '0,10000,1000000').split(',').map(Number);
const port = Number(process.env.BENCH_PORT ?? 3949);
const postgresPort = Number(process.env.BENCH_POSTGRES_PORT ?? 54349);
const explainFile = process.env.BENCH_EXPLAIN_FILE;
const CIBA = 'urn:openid:params:grant-type:ciba';
const workDir = process.env.BENCH_WORK_DIR ?? mkdtempSync(path.join(tmpdir(), 'backchannel-growth-'));
const dataDir = path.join(workDir, 'embedded');
mkdirSync(dataDir, { recursive: true });
chmodSync(workDir, 0o755);
chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its folder
const adminToken = randomBytes(32).toString('base64url');
const baseUrl = `http://127.0.0.1:${port}`;
const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${postgresPort}/backchannel`;

async function startApp() {
  const child = spawn(process.execPath, ['dist/apps/embedded/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      EMBEDDED_POSTGRES_PORT: String(postgresPort),
      BACKCHANNEL_DATA_DIR: dataDir,
      BACKCHANNEL_ADMIN_TOKEN: adminToken,
      BACKCHANNEL_ISSUER: baseUrl,
      POLL_INTERVAL_SECONDS: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let attempt = 0; ; attempt += 1) {
    const ready = await fetch(`${baseUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 600 || child.exitCode !== null) throw new Error('the embedded stack did not start');
    await sleep(200);
  }
  return async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  };
}

async function call(route, { method = 'GET', headers = {}, form, json } = {}) {
  const body = form ? new URLSearchParams(form).toString() : json ? JSON.stringify(json) : undefined;
  const contentType = form ? 'application/x-www-form-urlencoded' : json ? 'application/json' : undefined;
  const started = performance.now();
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function runFlows(size, count) {
  const basic = `Basic ${Buffer.from('seed-client-0:seed-client-secret-0').toString('base64')}`;
  const timings = { 'bc-authorize': [], 'device list': [], decision: [], token: [] };
  // half the workers are the users with the longest histories (the first ones seeded), half the
  // last users seeded (their rows come last in the tables: the worst case of a scan)
  const users = Math.max(50, Math.round(size / 20));
  const workers = Array.from({ length: concurrency }, (_, index) => {
    const user = index % 2 === 0 ? index / 2 : users - 1 - (index - 1) / 2;
    return { sub: `seed-user-${user}`, device: { authorization: `Bearer seed-device-token-${user}-0` } };
  });
  async function oneFlow({ sub, device }) {
    const ack = await call('/bc-authorize', {
      method: 'POST',
      headers: { authorization: basic },
      form: { scope: 'openid', login_hint: sub, binding_message: 'GROW' },
    });
    if (ack.status !== 200) throw new Error(`bc-authorize: ${ack.status} ${JSON.stringify(ack.body)}`);
    timings['bc-authorize'].push(ack.ms);
    let request;
    while (!request) {
      const list = await call('/device/v1/requests', { headers: device });
      if (list.status !== 200) throw new Error(`device list: ${list.status}`);
      timings['device list'].push(list.ms);
      request = list.body[0];
      if (!request) await sleep(5);
    }
    const decision = await call(`/device/v1/requests/${request.request_id}/decision`, {
      method: 'POST',
      headers: device,
      json: { decision: 'approve' },
    });
    if (decision.status !== 204) throw new Error(`decision: ${decision.status}`);
    timings.decision.push(decision.ms);
    const tokens = await call('/token', {
      method: 'POST',
      headers: { authorization: basic },
      form: { grant_type: CIBA, auth_req_id: ack.body.auth_req_id },
    });
    if (tokens.status !== 200) throw new Error(`token: ${JSON.stringify(tokens.body)}`);
    timings.token.push(tokens.ms);
  }
  let remaining = count;
  const began = performance.now();
  const loadBefore = loadavg()[0];
  await Promise.all(
    workers.map(async (worker) => {
      while (remaining > 0) {
        remaining -= 1;
        await oneFlow(worker);
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  return { timings, flowsPerSecond: count / seconds, load: `${loadBefore.toFixed(2)}→${loadavg()[0].toFixed(2)}` };
}

/** The statements every flow runs, on the heaviest user's data. */
const HOT_STATEMENTS = [
  [
    'user_requests: list open (device list)',
    `SELECT * FROM user_requests WHERE subject = 'seed-user-0' AND answered_at IS NULL AND expires_at > now()
      ORDER BY created_at DESC, request_id`,
  ],
  [
    'user_requests: count open (bc-authorize)',
    `SELECT count(*)::int, (count(*) FILTER (WHERE client_id = 'seed-client-0'))::int FROM user_requests
      WHERE subject = 'seed-user-0' AND answered_at IS NULL AND expires_at > now()`,
  ],
  ['devices: has a device (bc-authorize)', `SELECT 1 FROM devices WHERE subject = 'seed-user-0' LIMIT 1`],
  [
    'devices: has a device, the last user seeded (bc-authorize)',
    `SELECT 1 FROM devices WHERE subject = $LAST_USER LIMIT 1`,
  ],
  [
    'devices: by token (device API)',
    `SELECT device_id, subject, answer_door FROM devices
      WHERE token_sha256 = encode(sha256(convert_to('seed-device-token-0-0', 'UTF8')), 'hex')`,
  ],
  [
    'users: by login hint',
    `SELECT * FROM users WHERE subject = 'seed-user-0' OR username = 'seed-user-0' OR email = 'seed-user-0'
      OR phone_number = 'seed-user-0' LIMIT 2`,
  ],
  [
    'events: one stream (decision, token)',
    `SELECT * FROM events WHERE stream_id = (SELECT stream_id FROM user_requests WHERE subject = 'seed-user-0' LIMIT 1)
      ORDER BY stream_version`,
  ],
  [
    'events: log tail from the head (consumers)',
    `SELECT * FROM events WHERE (transaction_id, global_position) >
       (SELECT transaction_id, global_position FROM subscription_checkpoints
         WHERE subscription = 'event-store-transport:backchannel-token')
       AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY transaction_id, global_position LIMIT 500`,
  ],
];

async function explainHot(size) {
  if (!explainFile) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let text = `\n## ${size} events\n`;
  const [{ users }] = (await client.query(`SELECT count(*)::int AS users FROM users WHERE subject LIKE 'seed-user-%'`))
    .rows;
  for (const [name, sql] of HOT_STATEMENTS) {
    const statement = sql.replace('$LAST_USER', `'seed-user-${users - 1}'`);
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`);
    text += `\n### ${name}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n`;
  }
  await client.end();
  appendFileSync(explainFile, text);
}

function seedTo(size) {
  return (async () => {
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      port: postgresPort,
      database: 'backchannel',
    });
    try {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const [{ count }] = (await client.query('SELECT count(*)::int AS count FROM events')).rows;
      await client.end();
      const toAdd = Math.max(0, size - count);
      console.log(`== seeding ${toAdd} events (log has ${count}), load ${loadavg()[0].toFixed(2)}`);
      execFileSync(process.execPath, ['test/bench/seed-events.mjs', String(toAdd)], {
        env: { ...process.env, DATABASE_URL: postgres.url, SEED_USERS: String(Math.max(50, Math.round(size / 20))) },
        stdio: 'inherit',
      });
    } finally {
      await postgres.stop();
    }
  })();
}

const results = [];
try {
  // first start: migrations and the demo seed; then the history is grown with the app stopped
  await (
    await startApp()
  )();
  for (const size of sizes) {
    await seedTo(size);
    const stop = await startApp();
    try {
      await explainHot(size);
      await runFlows(size, Math.min(40, flows)); // warm-up (connections, JIT), not counted
      const result = await runFlows(size, flows);
      results.push({ size, ...result });
      printResult(results.at(-1));
    } finally {
      await stop();
    }
  }
} finally {
  if (!process.env.BENCH_WORK_DIR) rmSync(workDir, { recursive: true, force: true });
}

function printResult({ size, timings, flowsPerSecond, load }) {
  const ms = (v) => v.toFixed(1).padStart(7);
  console.log(
    `\nlog ${size} events: ${flows} poll flows at concurrency ${concurrency}, ${flowsPerSecond.toFixed(1)} flows/s, load ${load}`,
  );
  console.log('call            calls      p50      p95      p99   (ms)');
  for (const [name, values] of Object.entries(timings)) {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(14)} ${String(sorted.length).padStart(6)} ${ms(percentile(sorted, 50))} ${ms(percentile(sorted, 95))} ${ms(percentile(sorted, 99))}`,
    );
  }
}

console.log('\nmarkdown:\n');
console.log(
  '| events in the log | flows/s | bc-authorize p50/p95/p99 | device list p50/p95/p99 | decision p50/p95/p99 | token p50/p95/p99 | load 1 min |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const { size, timings, flowsPerSecond, load } of results) {
  const cell = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [50, 95, 99].map((p) => percentile(sorted, p).toFixed(1)).join(' / ');
  };
  console.log(
    `| ${size.toLocaleString('en')} | ${flowsPerSecond.toFixed(1)} | ${cell(timings['bc-authorize'])} | ${cell(timings['device list'])} | ${cell(timings.decision)} | ${cell(timings.token)} | ${load} |`,
  );
}
