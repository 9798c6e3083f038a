// npm run bench: complete CIBA poll flows against a running Backchannel, with flows/s and latency
// percentiles printed (never asserted). By default it starts the embedded profile (npm start's
// process) on a fresh data folder; BENCH_URL and BENCH_ADMIN_TOKEN point it at a running stack.
//   BENCH_FLOWS (default 300), BENCH_CONCURRENCY (default 16)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const flows = Number(process.env.BENCH_FLOWS ?? 300);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CIBA = 'urn:openid:params:grant-type:ciba';

async function startEmbedded() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'backchannel-bench-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its folder
  const port = 3900 + Math.floor(Math.random() * 90);
  const adminToken = randomBytes(32).toString('base64url');
  const child = spawn(process.execPath, ['dist/apps/embedded/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      EMBEDDED_POSTGRES_PORT: String(port + 1000),
      BACKCHANNEL_DATA_DIR: dataDir,
      BACKCHANNEL_ADMIN_TOKEN: adminToken,
      BACKCHANNEL_ISSUER: `http://127.0.0.1:${port}`,
      POLL_INTERVAL_SECONDS: '1',
    },
    stdio: 'ignore',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const ready = await fetch(`${baseUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 300) throw new Error('the embedded stack did not start');
    await sleep(200);
  }
  return {
    baseUrl,
    adminToken,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function call(baseUrl, route, { method = 'GET', headers = {}, form, json } = {}) {
  const body = form ? new URLSearchParams(form).toString() : json ? JSON.stringify(json) : undefined;
  const contentType = form ? 'application/x-www-form-urlencoded' : json ? 'application/json' : undefined;
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const stack =
  process.env.BENCH_URL && process.env.BENCH_ADMIN_TOKEN
    ? { baseUrl: process.env.BENCH_URL, adminToken: process.env.BENCH_ADMIN_TOKEN, stop: async () => {} }
    : await startEmbedded();
try {
  const { baseUrl } = stack;
  const admin = { authorization: `Bearer ${stack.adminToken}` };
  const registered = await call(baseUrl, '/admin/v1/clients', {
    method: 'POST',
    headers: admin,
    json: { client_name: 'Bench client', scope: 'openid', backchannel_token_delivery_mode: 'poll' },
  });
  const basic = `Basic ${Buffer.from(`${registered.body.client_id}:${registered.body.client_secret}`).toString('base64')}`;
  // one user and device per concurrent worker, so each device list holds one request at a time
  const workers = await Promise.all(
    Array.from({ length: concurrency }, async (_, index) => {
      const sub = `bench-${index}-${randomBytes(4).toString('hex')}`;
      await call(baseUrl, '/admin/v1/users', { method: 'POST', headers: admin, json: { sub } });
      const device = await call(baseUrl, `/admin/v1/users/${sub}/devices`, {
        method: 'POST',
        headers: admin,
        json: { name: 'bench' },
      });
      return { sub, device: { authorization: `Bearer ${device.body.device_token}` } };
    }),
  );

  async function oneFlow({ sub, device }) {
    const started = performance.now();
    const ack = await call(baseUrl, '/bc-authorize', {
      method: 'POST',
      headers: { authorization: basic },
      form: { scope: 'openid', login_hint: sub },
    });
    if (ack.status !== 200) throw new Error(`bc-authorize: ${JSON.stringify(ack.body)}`);
    let request;
    while (!request) {
      request = (await call(baseUrl, '/device/v1/requests', { headers: device })).body[0];
      if (!request) await sleep(5);
    }
    const decision = await call(baseUrl, `/device/v1/requests/${request.request_id}/decision`, {
      method: 'POST',
      headers: device,
      json: { decision: 'approve' },
    });
    if (decision.status !== 204) throw new Error(`decision: ${decision.status}`);
    const tokens = await call(baseUrl, '/token', {
      method: 'POST',
      headers: { authorization: basic },
      form: { grant_type: CIBA, auth_req_id: ack.body.auth_req_id },
    });
    if (tokens.status !== 200) throw new Error(`token: ${JSON.stringify(tokens.body)}`);
    return performance.now() - started;
  }

  let remaining = flows;
  const latencies = [];
  const began = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      while (remaining > 0) {
        remaining -= 1;
        latencies.push(await oneFlow(worker));
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const ms = (value) => `${value.toFixed(1)} ms`;
  console.log(`target: ${baseUrl}`);
  console.log(
    `complete poll flows (bc-authorize, device list, approve, token): ${latencies.length}, concurrency ${concurrency}`,
  );
  console.log(`throughput: ${(latencies.length / seconds).toFixed(1)} flows/s over ${seconds.toFixed(1)} s`);
  console.log(
    `latency per flow: p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1))}`,
  );
} finally {
  await stack.stop();
}
