// Seeds a Backchannel database with realistic history, fast: complete CIBA request streams in the
// event log (AuthRequested, UserNotified, ConsentGiven/ConsentDenied, TokensIssued, ClientNotified,
// TokensPushed, with the real payload shapes and the real hash chain of libs/event-store, so every
// stream still verifies), the user_requests rows the services would have written with them, and
// users, devices and clients in proportion. Run it on a migrated database (start a service once).
//
//   DATABASE_URL=postgres://... node test/bench/seed-events.mjs <events to add>
//
// SEED_USERS (default max(50, total events / 20)) and SEED_CLIENTS (default 20) are totals: missing
// ones are added. Requests go to users with a heavy tail (user 0 gets the most), so the first users
// have long histories: the bench signs in as them. Devices: seed-user-N has device dev_seed_N_0 with
// token `seed-device-token-N-0` (and every third user a second device). Clients: seed-client-J with
// secret `seed-client-secret-J`; J % 10 < 7 are poll clients, 7-8 ping, 9 push (SEED_MODES changes the mix).
// All history is in the past (the last request expired an hour ago), so no request is still open.
// Afterwards the checkpoints of SEED_CHECKPOINTS (default: the embedded consumers and the relay)
// are moved to the head of the log, as if everything had long been handled; SEED_CHECKPOINTS=none
// leaves them (the relay bench relays what was seeded). Needs `npm run build` (hash chain from dist/).
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { eventHash, verifyChain } from '../../dist/libs/event-store/src/hash-chain.js';

const DEFAULT_CHECKPOINTS = [
  'event-store-transport:backchannel-notifier',
  'event-store-transport:backchannel-token',
  'event-store-transport:backchannel-ping-delivery',
  'outbox-relay',
];

const toAdd = Number(process.argv[2] ?? process.env.SEED_EVENTS ?? 10_000);
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl || !Number.isFinite(toAdd)) {
  console.error('usage: DATABASE_URL=... node test/bench/seed-events.mjs <events to add>');
  process.exit(2);
}
const BATCH_EVENTS = 5_000;
const sha256Hex = (value) => createHash('sha256').update(value, 'utf8').digest('hex');
const token = (bytes = 16) =>
  createHash('sha256')
    .update(randomUUID())
    .digest('base64url')
    .slice(0, Math.ceil(bytes * 1.34));

const seedUser = (index) => `seed-user-${index}`;
const seedClientSecret = (index) => `seed-client-secret-${index}`;
// SEED_MODES: the clients' delivery modes, as weights out of their sum (default poll:7,ping:2,push:1).
const modeWeights = (process.env.SEED_MODES ?? 'poll:7,ping:2,push:1').split(',').map((part) => {
  const [mode, weight] = part.split(':');
  return { mode, weight: Number(weight ?? 1) };
});
const weightSum = modeWeights.reduce((sum, { weight }) => sum + weight, 0);
function modeOf(clientIndex) {
  let slot = (clientIndex % weightSum) + 0.5;
  for (const { mode, weight } of modeWeights) if ((slot -= weight) < 0) return mode;
  return 'poll';
}

const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
const began = performance.now();

const [{ count: existingEvents }] = (await pool.query('SELECT count(*)::int AS count FROM events')).rows;
const total = existingEvents + toAdd;
const users = Number(process.env.SEED_USERS ?? Math.max(50, Math.round(total / 20)));
const clients = Number(process.env.SEED_CLIENTS ?? 20);

// Users and devices: in SQL, by the tens of thousands. Every third user has a second device.
await pool.query(
  `INSERT INTO users (subject, username, email, name, created_at)
   SELECT 'seed-user-' || i, 'seed' || i, 'seed' || i || '@example.com', 'Seed user ' || i, now() - interval '60 days'
     FROM generate_series(0, $1::int - 1) AS i
   ON CONFLICT DO NOTHING`,
  [users],
);
await pool.query(
  `INSERT INTO devices (device_id, subject, name, token_sha256, answer_door, created_at)
   SELECT 'dev_seed_' || i || '_' || d, 'seed-user-' || i, 'Phone ' || d,
          encode(sha256(convert_to('seed-device-token-' || i || '-' || d, 'UTF8')), 'hex'), 'device_token',
          now() - interval '60 days'
     FROM generate_series(0, $1::int - 1) AS i, generate_series(0, 1) AS d
    WHERE d = 0 OR i % 3 = 0
   ON CONFLICT DO NOTHING`,
  [users],
);

// Clients: the registry row and the ClientRegistered stream, as the admin API writes them.
const clientRows = [];
const pendingEvents = [];
for (let j = 0; j < clients; j += 1) {
  const clientId = `seed-client-${j}`;
  const mode = modeOf(j);
  const metadata = {
    scope: 'openid profile email',
    client_name: `Seed client ${j}`,
    grant_types: ['urn:openid:params:grant-type:ciba'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_token_delivery_mode: mode,
    backchannel_user_code_parameter: false,
    ...(mode === 'poll' ? {} : { backchannel_client_notification_endpoint: `https://client${j}.example.com/cb` }),
  };
  clientRows.push({ clientId, secret: sha256Hex(seedClientSecret(j)), metadata, name: metadata.client_name, mode });
}
const registered = new Set(
  (await pool.query(`SELECT client_id FROM clients WHERE client_id LIKE 'seed-client-%'`)).rows.map((r) => r.client_id),
);
const historyStart = Date.now() - 30 * 86_400_000;
const historyEnd = Date.now() - 3_600_000 - 1_800_000; // the last request expired an hour ago
for (const client of clientRows) {
  if (registered.has(client.clientId)) continue;
  const at = new Date(historyStart - 86_400_000).toISOString();
  await pool.query(`INSERT INTO clients (client_id, secret_sha256, metadata, registered_at) VALUES ($1, $2, $3, $4)`, [
    client.clientId,
    client.secret,
    client.metadata,
    at,
  ]);
  pendingEvents.push(
    ...stream(`client-${client.clientId}`, [
      {
        type: 'ClientRegistered',
        schemaVersion: 1,
        at,
        actor: 'admin',
        data: { clientId: client.clientId, metadata: client.metadata, registeredAt: at, secretSha256: client.secret },
      },
    ]),
  );
}

/** A stream's events with versions and the hash chain (the rules of hash-chain.ts). */
function stream(streamId, events) {
  let previousHash = '';
  const correlationId = randomUUID();
  return events.map((event, index) => {
    const stored = {
      streamId,
      streamVersion: index + 1,
      eventId: randomUUID(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: { actor: event.actor, occurredAt: event.at, correlationId },
      previousHash,
    };
    stored.hash = eventHash(stored);
    stored.recordedAt = event.at;
    previousHash = stored.hash;
    return stored;
  });
}

/** One complete request: its events and its user_requests row. */
function requestFlow(at) {
  // a heavy tail: user 0 has the longest history
  const userIndex = Math.min(users - 1, Math.floor(users * Math.random() ** 3));
  const subject = seedUser(userIndex);
  const client = clientRows[Math.floor(Math.random() * clients)];
  const deviceId = `dev_seed_${userIndex}_0`;
  const requestId = `req_${token(16)}`;
  const streamId = `auth-request-${token(32)}`;
  const t = (ms) => new Date(at + ms).toISOString();
  const expiresAt = t(300_000);
  const bindingMessage = Math.random() < 0.5 ? `${token(3).toUpperCase().slice(0, 4)}` : null;
  const events = [
    {
      type: 'AuthRequested',
      schemaVersion: 2,
      at: t(0),
      actor: `client:${client.clientId}`,
      data: {
        requestId,
        clientId: client.clientId,
        clientName: client.name,
        subject,
        hintKind: 'login_hint',
        scope: ['openid', 'profile'],
        acrValues: [],
        bindingMessage,
        deliveryMode: client.mode,
        pollInterval: 5,
        requestedAt: t(0),
        expiresAt,
        clientNotification:
          client.mode === 'poll'
            ? null
            : { endpoint: client.metadata.backchannel_client_notification_endpoint, sealedSecrets: token(96) },
      },
    },
  ];
  if (userIndex % 3 === 0) {
    // the second device is reached by a webhook
    events.push({
      type: 'UserNotified',
      schemaVersion: 1,
      at: t(400),
      actor: 'service:notifier',
      data: { requestId, subject, channel: 'webhook', deviceId: `dev_seed_${userIndex}_1` },
    });
  }
  const roll = Math.random();
  const outcome = roll < 0.85 ? 'approved' : roll < 0.93 ? 'denied' : 'expired';
  const answeredAt = outcome === 'expired' ? null : t(8_000);
  const notified = (kind, error, ms) => ({
    type: 'ClientNotified',
    schemaVersion: 1,
    at: t(ms),
    actor: 'service:ping-delivery',
    data: { requestId, clientId: client.clientId, kind, error, httpStatus: 204, attempts: 1 },
  });
  if (outcome === 'approved') {
    events.push({
      type: 'ConsentGiven',
      schemaVersion: 2,
      at: answeredAt,
      actor: `device:${deviceId}`,
      data: {
        requestId,
        subject,
        deviceId,
        grantedScope: ['openid', 'profile'],
        authenticatedAt: answeredAt,
        evidence: null,
      },
    });
    if (client.mode === 'ping') events.push(notified('ping', null, 8_300));
    const accessTokenId = randomUUID();
    events.push({
      type: 'TokensIssued',
      schemaVersion: 2,
      at: t(9_000),
      actor: client.mode === 'push' ? 'service:token' : `client:${client.clientId}`,
      data: {
        clientId: client.clientId,
        subject,
        grantedScope: ['openid', 'profile'],
        accessTokenId,
        idTokenId: randomUUID(),
        accessTokenExpiresAt: t(609_000),
        sealedTokens: client.mode === 'push' ? token(900) : null,
      },
    });
    if (client.mode === 'push') {
      events.push({
        type: 'TokensPushed',
        schemaVersion: 1,
        at: t(9_300),
        actor: 'service:ping-delivery',
        data: { requestId, clientId: client.clientId, accessTokenId, httpStatus: 204, attempts: 1 },
      });
    }
  } else if (outcome === 'denied') {
    const reason = Math.random() < 0.8 ? 'user_denied' : 'not_recognized';
    events.push({
      type: 'ConsentDenied',
      schemaVersion: 2,
      at: answeredAt,
      actor: `device:${deviceId}`,
      data: { requestId, subject, deviceId, reason },
    });
    if (client.mode === 'ping') events.push(notified('ping', null, 8_300));
    if (client.mode === 'push') events.push(notified('push_error', 'access_denied', 8_300));
  } else if (client.mode === 'push') {
    events.push(notified('push_error', 'expired_token', 300_500));
  }
  return {
    events: stream(streamId, events),
    row: {
      request_id: requestId,
      stream_id: streamId,
      subject,
      client_id: client.clientId,
      client_name: client.name,
      scope: ['openid', 'profile'],
      binding_message: bindingMessage,
      created_at: t(0),
      expires_at: expiresAt,
      answered_at: answeredAt,
    },
  };
}

const INSERT_EVENTS = `
  INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at,
                      previous_hash, hash)
  SELECT "streamId", "streamVersion", "eventId", type, "schemaVersion", data, metadata, "recordedAt", "previousHash", hash
    FROM jsonb_to_recordset($1::jsonb) AS e ("streamId" text, "streamVersion" integer, "eventId" uuid,
         type text, "schemaVersion" integer, data jsonb, metadata jsonb, "recordedAt" timestamptz, "previousHash" text,
         hash text, ordinal integer)
   ORDER BY ordinal`;
const INSERT_REQUESTS = `
  INSERT INTO user_requests (request_id, stream_id, subject, client_id, client_name, scope, binding_message, created_at,
                             expires_at, answered_at)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r (request_id text, stream_id text, subject text, client_id text,
         client_name text, scope text[], binding_message text, created_at timestamptz, expires_at timestamptz,
         answered_at timestamptz)`;

// Flows in time order over the last 30 days; each batch is one statement (one transaction) per table.
const flowsWanted = Math.ceil(toAdd / 3.3);
const step = (historyEnd - historyStart) / Math.max(1, flowsWanted);
let added = 0;
let flowIndex = 0;
const inFlight = new Set();
async function flush(events, rows) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (events.length)
      await client.query(INSERT_EVENTS, [JSON.stringify(events.map((e, ordinal) => ({ ...e, ordinal })))]);
    if (rows.length) await client.query(INSERT_REQUESTS, [JSON.stringify(rows)]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}
let events = pendingEvents.splice(0);
let rows = [];
while (added < toAdd) {
  const flow = requestFlow(historyStart + flowIndex * step + Math.random() * step * 0.5);
  flowIndex += 1;
  events.push(...flow.events);
  rows.push(flow.row);
  added += flow.events.length;
  if (events.length >= BATCH_EVENTS || added >= toAdd) {
    const done = flush(events, rows).finally(() => inFlight.delete(done));
    inFlight.add(done);
    events = [];
    rows = [];
    if (inFlight.size >= 2) await Promise.race(inFlight);
    if (flowIndex % 50_000 < 1_600) process.stdout.write(`  ${added} events\r`);
  }
}
if (events.length) await flush(events, rows);
await Promise.all(inFlight);

// As if every consumer and the relay had long handled the history.
const checkpoints =
  process.env.SEED_CHECKPOINTS === 'none' ? [] : (process.env.SEED_CHECKPOINTS?.split(',') ?? DEFAULT_CHECKPOINTS);
const [head] = (
  await pool.query(
    `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position FROM events
      ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1`,
  )
).rows;
if (head) {
  for (const subscription of checkpoints) {
    await pool.query(
      `INSERT INTO subscription_checkpoints (subscription, transaction_id, global_position) VALUES ($1, $2::xid8, $3)
       ON CONFLICT (subscription) DO UPDATE SET transaction_id = excluded.transaction_id,
         global_position = excluded.global_position, updated_at = now()`,
      [subscription, head.transaction_id, head.global_position],
    );
  }
}
await pool.query('ANALYZE');

// A sample of streams, read back and checked as the store checks them.
const sample = (
  await pool.query(`SELECT stream_id FROM events WHERE stream_version = 1 ORDER BY random() LIMIT 20`)
).rows.map((r) => r.stream_id);
for (const streamId of sample) {
  const { rows: stored } = await pool.query(
    `SELECT stream_id, stream_version, event_id, event_type, schema_version, data, metadata, previous_hash, hash
       FROM events WHERE stream_id = $1 ORDER BY stream_version`,
    [streamId],
  );
  const verified = verifyChain(
    stored.map((r) => ({
      streamId: r.stream_id,
      streamVersion: r.stream_version,
      eventId: r.event_id,
      type: r.event_type,
      schemaVersion: r.schema_version,
      data: r.data,
      metadata: r.metadata,
      previousHash: r.previous_hash,
      hash: r.hash,
    })),
  );
  if (!verified.valid) throw new Error(`stream ${streamId} does not verify: ${verified.reason}`);
}
const [{ count: totalEvents }] = (await pool.query('SELECT count(*)::int AS count FROM events')).rows;
const seconds = (performance.now() - began) / 1000;
console.log(
  `seeded ${added} events (${flowIndex} requests) in ${seconds.toFixed(1)} s (${Math.round(added / seconds)} events/s); ` +
    `log now ${totalEvents} events, ${users} users, ${clients} clients; ${sample.length} sampled streams verify; ` +
    `checkpoints at head: ${checkpoints.join(', ') || 'none'}`,
);
await pool.end();
