// npm run bench:ping (through deploy/bench-ping.sh, which provides PostgreSQL and Kafka): the time
// from ConsentGiven being stored to the ping arriving at the client, over Kafka, with the six
// distributed services started here (profile test) and a local HTTPS receiver as the client's
// notification endpoint. Prints median, p95, p99 and max; asserts nothing.
//   DATABASE_URL, KAFKA_BROKERS (required), BENCH_FLOWS (default 200), BENCH_CONCURRENCY (default 8),
//   BENCH_WORK_DIR (service logs and the pid list the shell cleans up with; default a temp folder),
//   BACKCHANNEL_KEY_ENCRYPTION_KEY (default the tests' key, so a database the tests used works too).
// Every other variable is passed to the services (e.g. CLIENT_NOTIFICATION_POLL_MS).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { authRequestStreamId } from '../../dist/libs/events/src/index.js';
import { startHttpsReceiver } from '../../dist/libs/testing/src/https-receiver.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../../dist/libs/testing/src/test-config.js';
import { SERVICE_ENTRYPOINT, freePort } from './support/processes.mjs';

const flows = Number(process.env.BENCH_FLOWS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const databaseUrl = process.env.DATABASE_URL;
const kafkaBrokers = process.env.KAFKA_BROKERS;
if (!databaseUrl || !kafkaBrokers) throw new Error('DATABASE_URL and KAFKA_BROKERS are required (npm run bench:ping)');
const workDir = process.env.BENCH_WORK_DIR ?? mkdtempSync(path.join(tmpdir(), 'backchannel-bench-ping-'));
const CIBA = 'urn:openid:params:grant-type:ciba';
const SERVICES = ['backchannel', 'token', 'notifier', 'approvals', 'ping-delivery', 'gateway'];
const PING_TIMEOUT_MS = 30_000;

/** A high-resolution wall clock (ms since the epoch, µs precision), comparable with PostgreSQL's. */
const wallClock = () => performance.timeOrigin + performance.now();

// ---- the services, each in its own process group, listed for the shell's cleanup too
const children = [];

function killAll(signal) {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    }
  }
}

async function stopAll() {
  const exits = children.map((child) =>
    child.exitCode === null && child.signalCode === null
      ? new Promise((resolve) => child.once('exit', resolve))
      : Promise.resolve(),
  );
  killAll('SIGTERM');
  const forced = setTimeout(() => killAll('SIGKILL'), 10_000);
  await Promise.all(exits);
  clearTimeout(forced);
}

process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}

async function waitUntilReady(name, child, url) {
  const log = path.join(workDir, `${name}.log`);
  for (const started = Date.now(); Date.now() - started < 90_000; await sleep(200)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited: see ${log}`);
    if (
      await fetch(url).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
  }
  throw new Error(`${name} did not become ready: see ${log}`);
}

async function startServices(env) {
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, await freePort()])));
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  for (const name of SERVICES) {
    const log = openSync(path.join(workDir, `${name}.log`), 'a');
    const child = spawn(SERVICE_ENTRYPOINT, [name], {
      env: {
        ...process.env,
        BACKCHANNEL_PROFILE: 'test',
        BACKCHANNEL_ISSUER: gatewayUrl,
        POLL_INTERVAL_SECONDS: '1',
        ...env,
        BACKCHANNEL_URL: `http://127.0.0.1:${ports.backchannel}`,
        TOKEN_URL: `http://127.0.0.1:${ports.token}`,
        APPROVALS_URL: `http://127.0.0.1:${ports.approvals}`,
        PORT: String(ports[name]),
      },
      stdio: ['ignore', log, log],
      detached: true,
    });
    children.push(child);
    appendFileSync(path.join(workDir, 'pids'), `${child.pid}\n`);
    await waitUntilReady(name, child, `http://127.0.0.1:${ports[name]}/health/ready`);
  }
  return gatewayUrl;
}

// ---- HTTP helpers
async function call(baseUrl, route, { headers = {}, form, json } = {}) {
  const init = { headers: { ...headers } };
  if (form) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  } else if (json) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  const response = await fetch(`${baseUrl}${route}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function expectStatus(step, response, status) {
  if (response.status !== status) throw new Error(`${step}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

// ---- the run
const receiver = await startHttpsReceiver();
/** auth_req_id -> what the flow waiting for its ping needs. */
const awaitedPings = new Map();
receiver.setResponder((request) => {
  const arrivedAt = wallClock();
  const waiting = awaitedPings.get(request.json?.auth_req_id);
  if (waiting) {
    awaitedPings.delete(request.json.auth_req_id);
    waiting.resolve({ arrivedAt, authorization: request.headers.authorization });
  }
  return { status: 204 };
});

function pingFor(authReqId) {
  let timer;
  return new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ping within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    awaitedPings.set(authReqId, { resolve });
  }).finally(() => clearTimeout(timer));
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(label, latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (value) => `${value.toFixed(1)} ms`;
  return `${label}: median ${ms(percentile(sorted, 50))}, p95 ${ms(percentile(sorted, 95))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted.at(-1))}`;
}

const database = new pg.Client({ connectionString: databaseUrl });
let failed = false;
try {
  const adminToken = randomBytes(32).toString('base64url');
  const baseUrl = await startServices({
    BACKCHANNEL_ADMIN_TOKEN: adminToken,
    // a database the tests used holds a signing key sealed with the tests' key-encryption key
    BACKCHANNEL_KEY_ENCRYPTION_KEY: process.env.BACKCHANNEL_KEY_ENCRYPTION_KEY ?? TEST_KEY_ENCRYPTION_KEY,
    CLIENT_NOTIFICATION_CA_FILE: await receiver.writeCaFile(workDir),
  });
  await database.connect();
  const admin = { authorization: `Bearer ${adminToken}` };
  const client = expectStatus(
    'client registration',
    await call(baseUrl, '/admin/v1/clients', {
      headers: admin,
      json: {
        client_name: 'Ping bench client',
        scope: 'openid',
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: receiver.url('/ping'),
      },
    }),
    201,
  );
  const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  // one user and device per concurrent worker, so each device list holds one request at a time
  const workers = await Promise.all(
    Array.from({ length: concurrency }, async (_, index) => {
      const sub = `bench-${index}-${randomBytes(4).toString('hex')}`;
      expectStatus('user', await call(baseUrl, '/admin/v1/users', { headers: admin, json: { sub } }), 201);
      const device = expectStatus(
        'device',
        await call(baseUrl, `/admin/v1/users/${sub}/devices`, { headers: admin, json: { name: 'bench' } }),
        201,
      );
      return { sub, device: { authorization: `Bearer ${device.device_token}` } };
    }),
  );

  /** One complete ping flow; returns when the approval was answered and when the ping arrived. */
  async function oneFlow({ sub, device }) {
    const notificationToken = randomBytes(32).toString('base64url');
    const ack = expectStatus(
      'bc-authorize',
      await call(baseUrl, '/bc-authorize', {
        headers: { authorization: basic },
        form: { scope: 'openid', login_hint: sub, client_notification_token: notificationToken },
      }),
      200,
    );
    let request;
    while (!request) {
      request = (await call(baseUrl, '/device/v1/requests', { headers: device })).body[0];
      if (!request) await sleep(5);
    }
    const ping = pingFor(ack.auth_req_id);
    expectStatus(
      'decision',
      await call(baseUrl, `/device/v1/requests/${request.request_id}/decision`, {
        headers: device,
        json: { decision: 'approve' },
      }),
      204,
    );
    const approvedAt = wallClock();
    const { arrivedAt, authorization } = await ping;
    if (authorization !== `Bearer ${notificationToken}`) throw new Error('the ping carried the wrong bearer token');
    expectStatus(
      'token',
      await call(baseUrl, '/token', {
        headers: { authorization: basic },
        form: { grant_type: CIBA, auth_req_id: ack.auth_req_id },
      }),
      200,
    );
    return { streamId: authRequestStreamId(ack.auth_req_id), approvedAt, arrivedAt };
  }

  let remaining = flows;
  const results = [];
  const began = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      while (remaining > 0) {
        remaining -= 1;
        results.push(await oneFlow(worker));
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;

  // recorded_at is the event's insert time (now() of its transaction), in µs
  const { rows } = await database.query(
    `SELECT stream_id, extract(epoch FROM recorded_at) * 1000 AS recorded_ms
     FROM events WHERE event_type = 'ConsentGiven' AND stream_id = ANY($1)`,
    [results.map((result) => result.streamId)],
  );
  const consentStoredAt = new Map(rows.map((row) => [row.stream_id, Number(row.recorded_ms)]));
  if (consentStoredAt.size !== results.length) {
    throw new Error(`found ${consentStoredAt.size} ConsentGiven events for ${results.length} flows`);
  }

  console.log(`ping latency over Kafka: six services (profile test), PostgreSQL and Kafka on this machine`);
  console.log(`flows: ${results.length} complete ping flows, concurrency ${concurrency}, ${seconds.toFixed(1)} s`);
  console.log(
    summary(
      'ConsentGiven stored (recorded_at) -> ping received',
      results.map((result) => result.arrivedAt - consentStoredAt.get(result.streamId)),
    ),
  );
  console.log(
    summary(
      'approval answered (204 at the device) -> ping received',
      results.map((result) => result.arrivedAt - result.approvedAt),
    ),
  );
} catch (error) {
  failed = true;
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`service logs: ${workDir}`);
} finally {
  await database.end().catch(() => undefined);
  await stopAll();
  await receiver.close();
}
process.exit(failed ? 1 : 0);
