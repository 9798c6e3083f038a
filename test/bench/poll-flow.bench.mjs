// npm run bench (through deploy/bench.sh, which builds and provides Kafka and PostgreSQL): complete
// CIBA flows against the embedded profile, the distributed topology and the oidc-provider peer of
// ../shared/bench/, in one run, with the same flow count and concurrency. Figures are printed,
// never asserted (docs/performance.md, "The bench", says how to read them).
//
// One flow: the client sends bc-authorize; Backchannel reaches the user's webhook device (a signed
// HTTPS POST to a local receiver), which verifies the signature and approves through the device
// API on receipt; the client then calls /token (poll clients once the device approved, ping clients
// once pinged at their notification endpoint, another local HTTPS receiver). The peer has no device
// side: its "device" is its admin approve call, made as soon as bc-authorize answered.
//
//   BENCH_FLOWS (default 1500) flows measured per topology, BENCH_CONCURRENCY (default 32) flows at
//   once (one user and device per worker), BENCH_TOPOLOGY (default embedded,distributed,peer),
//   BENCH_WARMUP (default 64) flows first, not counted, BENCH_PING_SHARE (default 0.2) the share of
//   flows made by a ping-mode client, BENCH_WORK_DIR (logs; default a temp folder),
//   BENCH_REST_SECONDS (default 5) how long each topology is watched at rest, after the warm-up
//   and before the flows (what its processes spend with no work: polling, timers),
//   BENCH_PROFILE_DIR (when set: a CPU profile and the PostgreSQL statements of each Backchannel
//   process over the measured flows, written there and summarised by component after the figures),
//   BENCH_LIGHT_FLOWS (default 200) flows at BENCH_LIGHT_CONCURRENCY (default 2; 0: none) after the
//   measured ones: latency when the machine is not saturated, where little of it is queueing.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearTimeout, setImmediate, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHttpsReceiver } from '../../dist/libs/testing/src/https-receiver.js';
import { TEST_KEY_ENCRYPTION_KEY } from '../../dist/libs/testing/src/test-config.js';
import { basicAuth, call, closeHttp, expectStatus } from './support/http.mjs';
import { processSampler } from './support/proc-stats.mjs';
import { profileReport } from './support/profile-summary.mjs';
import { latencyRows, table } from './support/stats.mjs';
import { startDistributed, startEmbedded, startPeer } from './support/stacks.mjs';

const flows = Number(process.env.BENCH_FLOWS ?? 1500);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const warmup = Number(process.env.BENCH_WARMUP ?? 64);
const restSeconds = Number(process.env.BENCH_REST_SECONDS ?? 5);
const pingShare = Number(process.env.BENCH_PING_SHARE ?? 0.2);
const lightFlows = Number(process.env.BENCH_LIGHT_FLOWS ?? 200);
const lightConcurrency = Math.min(concurrency, Number(process.env.BENCH_LIGHT_CONCURRENCY ?? 2));
const topologies = (process.env.BENCH_TOPOLOGY ?? 'embedded,distributed,peer')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
for (const name of topologies) {
  if (!['embedded', 'distributed', 'peer'].includes(name)) throw new Error(`BENCH_TOPOLOGY: unknown ${name}`);
}
const ownWorkDir = !process.env.BENCH_WORK_DIR;
const workDir = process.env.BENCH_WORK_DIR ?? mkdtempSync(path.join(tmpdir(), 'backchannel-bench-'));
chmodSync(workDir, 0o755); // the embedded PostgreSQL runs as its own user when started by root
const CIBA = 'urn:openid:params:grant-type:ciba';
const WAIT_MS = 60_000;
const SIGNATURE_HEADER = 'backchannel-signature';

/** Wall clock in ms with µs precision. */
const now = () => performance.now();

// ---- the receivers: webhook devices and the ping client's notification endpoint (one HTTPS server)
const receiver = await startHttpsReceiver();
const caFile = await receiver.writeCaFile(workDir);
/** deviceId -> the webhook device: its secret and token, and the flow waiting on it. */
const devices = new Map();
/** client_notification_token -> resolve(arrivedAt) of the flow waiting for its ping. */
const awaitedPings = new Map();
let badSignatures = 0;

function verifySignature(secret, header, rawBody) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header ?? ''));
  if (!match) return false;
  if (Math.abs(Date.now() / 1000 - Number(match[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

/** The device: on a signed webhook it approves at once through the device API. */
async function deviceApproves(device, message, arrivedAt) {
  const waiting = device.waiting;
  try {
    const consentAt = now();
    const decision = await call(device.baseUrl, `/device/v1/requests/${message.requestId}/decision`, {
      headers: { authorization: `Bearer ${device.token}` },
      json: { decision: 'approve' },
    });
    if (decision.status === 409) return; // a webhook delivered twice (at least once): already decided
    expectStatus('decision', decision, 204);
    waiting?.resolve({ arrivedAt, consentAt, decidedAt: now() });
  } catch (error) {
    waiting?.reject(error);
  }
}

receiver.setResponder((request) => {
  const arrivedAt = now();
  if (request.path === '/webhook') {
    const message = request.json;
    const device = devices.get(message?.deviceId);
    if (!device || !verifySignature(device.secret, request.headers[SIGNATURE_HEADER], request.rawBody)) {
      badSignatures += 1;
      return { status: 401 };
    }
    setImmediate(() => void deviceApproves(device, message, arrivedAt));
    return { status: 204 };
  }
  if (request.path === '/ping') {
    const bearer = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    awaitedPings.get(bearer)?.(arrivedAt);
    awaitedPings.delete(bearer);
    return { status: 204 };
  }
  return { status: 404 };
});
// the receiver keeps every request; the bench needs none of them afterwards
setInterval(() => receiver.requests.splice(0), 5_000).unref();

function withTimeout(what, executor) {
  let timer;
  return new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${WAIT_MS} ms`)), WAIT_MS);
    executor(resolve, reject);
  }).finally(() => clearTimeout(timer));
}

// ---- one flow, against Backchannel (webhook device) or the peer (admin approve)
async function poll(target, client, authReqId, figures) {
  let interval = 1;
  for (;;) {
    const sent = now();
    const answer = await call(target.baseUrl, target.tokenPath, {
      headers: { authorization: client.basic },
      form: { grant_type: CIBA, auth_req_id: authReqId },
    });
    if (answer.status === 200) {
      figures.token.push(now() - sent);
      if (!answer.body?.access_token) throw new Error('token: no access_token');
      return;
    }
    const error = answer.body?.error;
    if (error !== 'authorization_pending' && error !== 'slow_down') {
      throw new Error(`token: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    figures.pendingPolls += 1;
    if (error === 'slow_down') interval += 5;
    await sleep(interval * 1000);
  }
}

async function oneFlow(target, worker, ping, figures) {
  const client = ping ? target.pingClient : target.pollClient;
  const notificationToken = randomBytes(24).toString('base64url');
  const pinged = ping ? withTimeout('ping', (resolve) => awaitedPings.set(notificationToken, resolve)) : null;
  const approved = target.peer
    ? null
    : withTimeout('webhook device', (resolve, reject) => {
        worker.device.waiting = { resolve, reject };
      });
  pinged?.catch(() => undefined);
  approved?.catch(() => undefined);
  try {
    const began = now();
    const ack = expectStatus(
      'bc-authorize',
      await call(target.baseUrl, target.bcAuthorizePath, {
        headers: { authorization: client.basic },
        form: {
          scope: 'openid',
          login_hint: worker.loginHint,
          binding_message: `B-${randomBytes(3).toString('hex')}`,
          ...(ping ? { client_notification_token: notificationToken } : {}),
        },
      }),
      200,
    );
    const bcAnswered = now();
    let consentAt;
    if (target.peer) {
      consentAt = now();
      expectStatus('approve', await call(target.baseUrl, `/admin/approve/${ack.auth_req_id}`, { method: 'POST' }), 200);
    } else {
      const device = await approved;
      consentAt = device.consentAt;
      figures.requestToDevice.push(device.arrivedAt - began);
    }
    if (ping) figures.consentToPing.push((await pinged) - consentAt);
    await poll(target, client, ack.auth_req_id, figures);
    figures.bcAuthorize.push(bcAnswered - began);
    figures.flow.push(now() - began);
  } finally {
    awaitedPings.delete(notificationToken);
    if (worker.device) worker.device.waiting = undefined;
  }
}

const emptyFigures = () => ({
  bcAuthorize: [],
  token: [],
  requestToDevice: [],
  consentToPing: [],
  flow: [],
  pendingPolls: 0,
  failed: 0,
  errors: new Map(),
});

/** `count` flows at `concurrency`, flow i a ping flow when it crosses a multiple of 1/pingShare. */
async function runFlows(target, workers, count, figures) {
  let next = 0;
  let pingFlows = 0;
  await Promise.all(
    workers.map(async (worker) => {
      while (next < count) {
        const index = next++;
        const ping = Math.floor((index + 1) * pingShare) > Math.floor(index * pingShare);
        if (ping) pingFlows += 1;
        try {
          await oneFlow(target, worker, ping, figures);
        } catch (error) {
          figures.failed += 1;
          const message = error instanceof Error ? error.message : String(error);
          figures.errors.set(message, (figures.errors.get(message) ?? 0) + 1);
        }
      }
    }),
  );
  return pingFlows;
}

// ---- setting up clients, users and devices
async function setUpBackchannel(target) {
  const admin = { authorization: `Bearer ${target.adminToken}` };
  const register = async (mode) => {
    const client = expectStatus(
      `${mode} client`,
      await call(target.baseUrl, '/admin/v1/clients', {
        headers: admin,
        json: {
          client_name: `Bench ${mode} client`,
          scope: 'openid',
          backchannel_token_delivery_mode: mode,
          ...(mode === 'ping' ? { backchannel_client_notification_endpoint: receiver.url('/ping') } : {}),
        },
      }),
      201,
    );
    return { basic: basicAuth(client.client_id, client.client_secret) };
  };
  target.pollClient = await register('poll');
  target.pingClient = await register('ping');
  const workers = [];
  for (let index = 0; index < concurrency; index += 1) {
    const sub = `bench-${index}-${randomBytes(4).toString('hex')}`;
    expectStatus('user', await call(target.baseUrl, '/admin/v1/users', { headers: admin, json: { sub } }), 201);
    const registered = expectStatus(
      'webhook device',
      await call(target.baseUrl, `/admin/v1/users/${sub}/devices`, {
        headers: admin,
        json: { name: 'bench webhook device', channel: 'webhook', webhook_url: receiver.url('/webhook') },
      }),
      201,
    );
    const device = { baseUrl: target.baseUrl, token: registered.device_token, secret: registered.webhook_secret };
    devices.set(registered.device_id, device);
    workers.push({ loginHint: sub, device });
  }
  return workers;
}

async function setUpPeer(target) {
  target.peer = true;
  target.pollClient = { basic: basicAuth('ciba-poll', 'ciba-poll-secret') };
  // a ping client of the peer's open registration, notified at the same receiver as Backchannel's
  const client = expectStatus(
    'peer ping client',
    await call(target.baseUrl, '/reg', {
      json: {
        client_name: 'Bench ping client',
        grant_types: [CIBA],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: receiver.url('/ping'),
      },
    }),
    201,
  );
  target.pingClient = { basic: basicAuth(client.client_id, client.client_secret) };
  return Array.from({ length: concurrency }, (_, index) => ({ loginHint: `bench-${index}@peer.test` }));
}

// ---- the run
/** The latency table of one run of flows. */
function latencyTable(target, figures) {
  return table(
    latencyRows([
      ['bc-authorize', figures.bcAuthorize],
      ['token (the 200)', figures.token],
      ['request -> device', target.peer ? [] : figures.requestToDevice],
      ['consent -> ping', figures.consentToPing],
      ['complete flow', figures.flow],
    ]),
  );
}

const starters = {
  embedded: () => startEmbedded({ workDir, caFile }),
  distributed: () => startDistributed({ workDir, caFile, keyEncryptionKey: TEST_KEY_ENCRYPTION_KEY }),
  peer: () => startPeer({ workDir }),
};
const descriptions = {
  embedded: 'the embedded profile (dist/apps/embedded/src/main.js, its own PostgreSQL)',
  distributed: 'the distributed topology (six services, Kafka, PostgreSQL)',
  peer: 'the oidc-provider peer (in memory, no device side)',
};
const self = { name: 'bench client (this process)', pids: [process.pid] };
const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);

const profileDir = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : null;

/** SIGUSR2 to each profiled process: the first starts its profile, the second writes it (support/profile-preload.cjs). */
function toggleProfiles(target) {
  if (!profileDir) return;
  for (const { pid } of target.profiled) process.kill(pid, 'SIGUSR2');
}

/** Waits for each profiled process's files, then prints where its CPU went and what it asked PostgreSQL. */
async function printProfiles(target, done) {
  for (const { name, pid } of target.profiled) {
    const file = path.join(profileDir, `${name}-${pid}`);
    for (let waited = 0; !existsSync(`${file}.statements.json`) && waited < 30_000; waited += 100) await sleep(100);
    const profile = JSON.parse(readFileSync(`${file}.cpuprofile`, 'utf8'));
    const statements = JSON.parse(readFileSync(`${file}.statements.json`, 'utf8'));
    console.log(profileReport(`${name} (${file}.cpuprofile)`, profile, statements, Math.max(1, done)));
  }
}

console.log(
  `bench: ${flows} flows per topology (${Math.round(flows * pingShare)} ping, the rest poll), concurrency ${concurrency}, ` +
    `${warmup} warm-up flows not counted; ${new Date().toISOString()}`,
);
const throughput = new Map();
let failed = false;
for (const name of topologies) {
  let target;
  try {
    target = await starters[name]();
    // the endpoints as discovery names them (the peer's is /backchannel)
    const discovery = expectStatus('discovery', await call(target.baseUrl, '/.well-known/openid-configuration'), 200);
    target.bcAuthorizePath = new URL(discovery.backchannel_authentication_endpoint).pathname;
    target.tokenPath = new URL(discovery.token_endpoint).pathname;
    const workers = name === 'peer' ? await setUpPeer(target) : await setUpBackchannel(target);
    await runFlows(target, workers, warmup, emptyFigures());
    const resting = processSampler([...target.groups, self]);
    resting.start();
    await sleep(restSeconds * 1000);
    const atRest = resting.stop();
    const figures = emptyFigures();
    const sampler = processSampler([...target.groups, self]);
    sampler.start();
    toggleProfiles(target);
    const began = now();
    const pingFlows = await runFlows(target, workers, flows, figures);
    const seconds = (now() - began) / 1000;
    const usage = sampler.stop();
    toggleProfiles(target);
    const done = figures.flow.length;
    throughput.set(name, done / seconds);

    console.log(`\n== ${name}: ${descriptions[name]}`);
    console.log(
      `flows/s: ${(done / seconds).toFixed(1)} (${done} complete flows of ${flows}, ${pingFlows} of them ping, in ${seconds.toFixed(1)} s; ` +
        `failed ${figures.failed}; /token answered authorization_pending ${figures.pendingPolls}×)`,
    );
    for (const [message, count] of figures.errors) console.log(`  failed ${count}×: ${message}`);
    console.log(latencyTable(target, figures));
    console.log(
      table([
        ['process', 'CPU s', 'CPU s/flow', 'peak RSS MB', 'at rest: % of a core'],
        ...usage.map((u, index) => [
          u.processes > 1 ? `${u.name}, up to ${u.processes}` : u.name,
          u.cpuSeconds.toFixed(1),
          (u.cpuSeconds / Math.max(1, done)).toFixed(4),
          mb(u.peakRssBytes),
          ((atRest[index].cpuSeconds / restSeconds) * 100).toFixed(1),
        ]),
        [
          'total (without the bench client)',
          usage
            .slice(0, -1)
            .reduce((sum, u) => sum + u.cpuSeconds, 0)
            .toFixed(1),
          (usage.slice(0, -1).reduce((sum, u) => sum + u.cpuSeconds, 0) / Math.max(1, done)).toFixed(4),
          mb(usage.slice(0, -1).reduce((sum, u) => sum + u.peakRssBytes, 0)),
          ((atRest.slice(0, -1).reduce((sum, u) => sum + u.cpuSeconds, 0) / restSeconds) * 100).toFixed(1),
        ],
      ]),
    );
    if (profileDir) await printProfiles(target, done);
    if (lightConcurrency > 0 && lightFlows > 0) {
      const light = emptyFigures();
      const lightBegan = now();
      await runFlows(target, workers.slice(0, lightConcurrency), lightFlows, light);
      const lightDone = light.flow.length;
      console.log(
        `at light load: ${lightConcurrency} flows at once, ${(lightDone / ((now() - lightBegan) / 1000)).toFixed(1)} flows/s ` +
          `(${lightDone} complete of ${lightFlows}; failed ${light.failed})`,
      );
      console.log(latencyTable(target, light));
    }
  } catch (error) {
    failed = true;
    console.log(`\n== ${name}: failed: ${error instanceof Error ? error.stack : String(error)} (logs: ${workDir})`);
  } finally {
    await target?.stop();
  }
}

const peer = throughput.get('peer');
console.log('');
for (const [name, rate] of throughput) {
  if (name === 'peer') continue;
  console.log(
    peer ? `${name}: ${(rate / peer).toFixed(2)}× peer` : `${name}: ${rate.toFixed(1)} flows/s (no peer in this run)`,
  );
}
if (badSignatures) console.log(`webhook calls refused for a bad signature: ${badSignatures}`);
await receiver.close();
await closeHttp();
if (ownWorkDir && !failed) rmSync(workDir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
