// npm run bench:relay (deploy/bench-growth.sh relay starts Kafka and PostgreSQL): the outbox relay
// alone, then the relay with the consumers, on DATABASE_URL and KAFKA_BROKERS.
// 1. Relay alone: BENCH_EVENTS (default 200000) realistic events are seeded and left unrelayed
//    (test/bench/seed-events.mjs); for each setting of BENCH_RELAY_SETTINGS (default
//    "100,500,1000,2000,5000,500:gzip": RELAY_BATCH_SIZE[:RELAY_COMPRESSION]) the relay's checkpoint is
//    removed and one OutboxRelay (a child process, nothing else in it) relays the whole log to
//    Kafka: events/s until caught up, and its CPU time per 1000 events (BENCH_RELAY_REPEAT runs each).
// 2. Relay and consumers: the topics are recreated (BENCH_PARTITIONS, default 3), the consumer
//    services (token, notifier, ping-delivery; RELAY_ENABLED=false) and the relay (the default
//    settings) are started, BENCH_LAG_EVENTS (default 100000) events are appended as fast as the
//    seeder writes them, and each consumer group's lag (Kafka admin API: end offsets minus committed
//    offsets) is sampled every 250 ms until it is back to zero: peak lag and time to drain.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, openSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { SERVICE_ENTRYPOINT } from './support/processes.mjs';
import { migrateSchema } from './support/schema.mjs';

const databaseUrl = process.env.DATABASE_URL;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9292').split(',');
const TOPICS = [
  'backchannel.auth-requests.v1',
  'backchannel.clients.v1',
  'backchannel.users.v1',
  'backchannel.consent-vocabulary.v1',
  'backchannel.initial-access-tokens.v1',
];
const GROUPS = ['backchannel-token', 'backchannel-notifier', 'backchannel-ping-delivery'];
const LOG_HEAD = `SELECT transaction_id::text AS tx, global_position::text AS pos FROM events
  ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1`;
const CHECKPOINT = `SELECT transaction_id::text AS tx, global_position::text AS pos FROM subscription_checkpoints
  WHERE subscription = 'outbox-relay'`;

if (process.argv[2] === '--relay') await relayChild(process.argv[3], process.argv[4]);
else await main();

/** One relay in a process of its own: `--relay <batchSize> <compression> [serve]`. */
async function relayChild(batchSize, compression) {
  const serve = process.argv[5] === 'serve';
  const { createDataSource } = await import('../../dist/libs/event-store/src/index.js');
  const { KafkaConnection, OutboxRelay } = await import('../../dist/libs/messaging/src/index.js');
  const dataSource = await createDataSource(databaseUrl, { applicationName: 'relay-bench' }).initialize();
  const relay = new OutboxRelay(dataSource, new KafkaConnection({ brokers, clientId: 'relay-bench' }), {
    batchSize: Number(batchSize),
    compression,
    pollIntervalMs: 200,
  });
  if (serve) {
    await relay.start();
    process.stdout.write('relaying\n');
    await new Promise((resolve) => process.once('SIGTERM', resolve));
    await relay.stop();
    await dataSource.destroy();
    return;
  }
  const [head] = await dataSource.query(LOG_HEAD);
  const [{ count }] = await dataSource.query('SELECT count(*)::int AS count FROM events');
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  await relay.start();
  let last = '';
  let lastMoved = performance.now();
  for (;;) {
    const [checkpoint] = await dataSource.query(CHECKPOINT);
    if (checkpoint && checkpoint.tx === head.tx && checkpoint.pos === head.pos) break;
    if (`${checkpoint?.pos}` !== last) [last, lastMoved] = [`${checkpoint?.pos}`, performance.now()];
    if (performance.now() - lastMoved > 30_000) {
      process.stdout.write(`${JSON.stringify({ stalled: true, at: last })}\n`);
      process.exit(1);
    }
    await sleep(20);
  }
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await relay.stop();
  await dataSource.destroy();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify({ events: count, seconds, cpuMs })}\n`);
}

function run(args, env = {}) {
  return execFileSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
}

async function recreateTopics(admin, partitions) {
  const existing = await admin.listTopics();
  const ours = existing.filter((topic) => TOPICS.some((prefix) => topic.startsWith(prefix)));
  if (ours.length) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const left = (await admin.listTopics()).filter((topic) => ours.includes(topic));
    if (left.length === 0) break;
    await sleep(500);
  }
  await admin.createTopics({
    waitForLeaders: true,
    topics: TOPICS.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  });
}

/** Per group: messages of the topics not yet committed by it. */
async function groupLags(admin) {
  const ends = new Map();
  for (const topic of TOPICS) {
    for (const { partition, high } of await admin.fetchTopicOffsets(topic))
      ends.set(`${topic}/${partition}`, Number(high));
  }
  const lags = {};
  for (const groupId of GROUPS) {
    let lag = 0;
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: TOPICS })) {
      for (const { partition, offset } of partitions) {
        const committed = Number(offset) < 0 ? 0 : Number(offset);
        lag += Math.max(0, (ends.get(`${topic}/${partition}`) ?? 0) - committed);
      }
    }
    lags[groupId] = lag;
  }
  return lags;
}

async function startConsumers(workDir, env) {
  const children = [];
  let port = Number(process.env.BENCH_SERVICE_PORT ?? 3950);
  for (const name of ['token', 'notifier', 'ping-delivery']) {
    port += 1;
    const log = openSync(path.join(workDir, `${name}.log`), 'a');
    const child = spawn(SERVICE_ENTRYPOINT, [name], {
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', log, log],
    });
    children.push(child);
    for (let attempt = 0; ; attempt += 1) {
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (attempt > 300 || child.exitCode !== null) throw new Error(`${name} did not start: see ${workDir}`);
      await sleep(200);
    }
  }
  return children;
}

async function stopAll(children) {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }),
  );
}

async function main() {
  if (!databaseUrl) throw new Error('DATABASE_URL is required (deploy/bench-growth.sh relay sets it)');
  const workDir = process.env.BENCH_WORK_DIR ?? mkdtempSync(path.join(tmpdir(), 'backchannel-relay-'));
  const events = Number(process.env.BENCH_EVENTS ?? 200_000);
  const settings = (process.env.BENCH_RELAY_SETTINGS ?? '100,500,1000,2000,5000,500:gzip').split(',');
  const partitions = Number(process.env.BENCH_PARTITIONS ?? 3);
  const lagEvents = Number(process.env.BENCH_LAG_EVENTS ?? 100_000);
  const report = (line) => {
    console.log(line);
    if (process.env.BENCH_REPORT_FILE) appendFileSync(process.env.BENCH_REPORT_FILE, `${line}\n`);
  };
  const db = new pg.Client({ connectionString: databaseUrl });
  const kafka = new Kafka({ clientId: 'relay-bench-admin', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await migrateSchema(databaseUrl);
  await db.connect();

  // 1. the relay alone
  console.log(`== seeding ${events} events, not relayed`);
  process.stdout.write(run(['test/bench/seed-events.mjs', String(events)], { SEED_CHECKPOINTS: 'none' }));
  await recreateTopics(admin, partitions);
  report(`\nrelay alone: ${events} events in the log, ${partitions} partitions, one broker (acks all, idempotent)`);
  report('| RELAY_BATCH_SIZE | compression | events/s | CPU ms per 1000 events | load 1 min |');
  report('| --- | --- | --- | --- | --- |');
  // a warm-up run, not reported: the broker's coordinator and the first producer id
  run(['test/bench/relay.bench.mjs', '--relay', '1000', 'none']);
  const repeat = Number(process.env.BENCH_RELAY_REPEAT ?? 1);
  for (const setting of settings.flatMap((setting) => Array(repeat).fill(setting))) {
    const [batchSize, compression = 'none'] = setting.split(':');
    await db.query(`DELETE FROM subscription_checkpoints WHERE subscription = 'outbox-relay'`);
    const load = loadavg()[0].toFixed(2);
    const result = JSON.parse(
      run(['test/bench/relay.bench.mjs', '--relay', batchSize, compression]).trim().split('\n').at(-1),
    );
    report(
      `| ${batchSize} | ${compression} | ${Math.round(result.events / result.seconds)} | ${((result.cpuMs / result.events) * 1000).toFixed(1)} | ${load}→${loadavg()[0].toFixed(2)} |`,
    );
  }

  // 2. relay and consumers: lag while a burst is appended
  await recreateTopics(admin, partitions);
  const [head] = (await db.query(LOG_HEAD)).rows;
  await db.query(
    `INSERT INTO subscription_checkpoints (subscription, transaction_id, global_position) VALUES ('outbox-relay', $1::xid8, $2)
     ON CONFLICT (subscription) DO UPDATE SET transaction_id = excluded.transaction_id, global_position = excluded.global_position`,
    [head.tx, head.pos],
  );
  const { TEST_KEY_ENCRYPTION_KEY } = await import('../../dist/libs/testing/src/test-config.js');
  const children = await startConsumers(workDir, {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
    BACKCHANNEL_PROFILE: 'test',
    BACKCHANNEL_ISSUER: 'http://127.0.0.1:3950',
    BACKCHANNEL_ADMIN_TOKEN: 'relay-bench-admin-token-0123456789abcdef',
    BACKCHANNEL_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    RELAY_ENABLED: 'false',
  });
  const relay = spawn(
    process.execPath,
    ['test/bench/relay.bench.mjs', '--relay', process.env.RELAY_BATCH_SIZE ?? '1000', 'none', 'serve'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(relay);
  await new Promise((resolve) => relay.stdout.once('data', resolve));
  try {
    const samples = [];
    const began = performance.now();
    let seeded = false;
    let seedSeconds = 0;
    // the burst: the seeder appends (poll and ping requests: push ones carry sealed secrets only the services can seal)
    const seeder = spawn(process.execPath, ['test/bench/seed-events.mjs', String(lagEvents)], {
      env: { ...process.env, DATABASE_URL: databaseUrl, SEED_CHECKPOINTS: 'none', SEED_MODES: 'poll:8,ping:2' },
      stdio: 'ignore',
    });
    seeder.once('exit', () => {
      seeded = true;
      seedSeconds = (performance.now() - began) / 1000;
    });
    for (;;) {
      const at = (performance.now() - began) / 1000;
      const lags = await groupLags(admin);
      const [checkpoint] = (await db.query(CHECKPOINT)).rows;
      const [logHead] = (await db.query(LOG_HEAD)).rows;
      const relayLag = Number(logHead.pos) - Number(checkpoint?.pos ?? 0);
      samples.push({ at, lags, relayLag });
      if (seeded && relayLag <= 0 && Object.values(lags).every((lag) => lag === 0)) break;
      if (at > 900) throw new Error('consumers did not drain within 15 minutes');
      await sleep(250);
    }
    const total = samples.at(-1).at;
    report(
      `\nrelay and consumers: ${lagEvents} events appended in ${seedSeconds.toFixed(1)} s (${Math.round(lagEvents / seedSeconds)} events/s), ${partitions} partitions, load ${loadavg()[0].toFixed(2)}`,
    );
    report('| consumer group | peak lag (messages) | at (s) | drained at (s) | after the burst (s) |');
    report('| --- | --- | --- | --- | --- |');
    for (const group of GROUPS) {
      const peak = samples.reduce((best, s) => (s.lags[group] > best.lags[group] ? s : best), samples[0]);
      const drained = samples.findLast((s) => s.lags[group] > 0)?.at ?? 0;
      report(
        `| ${group} | ${peak.lags[group]} | ${peak.at.toFixed(1)} | ${drained.toFixed(1)} | ${Math.max(0, drained - seedSeconds).toFixed(1)} |`,
      );
    }
    const relayPeak = samples.reduce((best, s) => (s.relayLag > best.relayLag ? s : best), samples[0]);
    const relayDrained = samples.findLast((s) => s.relayLag > 0)?.at ?? 0;
    report(
      `| (relay: log positions behind) | ${relayPeak.relayLag} | ${relayPeak.at.toFixed(1)} | ${relayDrained.toFixed(1)} | ${Math.max(0, relayDrained - seedSeconds).toFixed(1)} |`,
    );
    report(`all drained after ${total.toFixed(1)} s`);
    appendFileSync(path.join(workDir, 'lag-samples.json'), JSON.stringify(samples));
    console.log(`lag samples: ${path.join(workDir, 'lag-samples.json')}`);
  } finally {
    await stopAll(children);
    await admin.disconnect();
    await db.end();
  }
}
