import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { EventStoreModule, PostgresEventStore, eventHash, poolSql, readStoredStream } from '@backchannel/event-store';
import { type ConsentGiven, type RecordedEvent, type TokensIssued, Topics } from '@backchannel/events';
import { TEST_KEY_ENCRYPTION_KEY, recordRequest } from '@backchannel/testing';
import { DeadLetterStore } from '@backchannel/messaging';
import { UserRequestsModule } from '@backchannel/user-requests';
import { Test, type TestingModule } from '@nestjs/testing';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';

const run = promisify(execFile);
const OPS = path.resolve('dist/apps/ops/src/main.js');

/** The built `ops` command, as an operator runs it: its stdout and exit code. */
function ops(...args: string[]): Promise<OpsResult> {
  return opsWith(process.env, ...args);
}

interface OpsResult {
  code: number;
  /** The signal that ended it, if one did (code is then null). */
  signal?: string;
  stdout: string;
  stderr: string;
}

async function opsWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<OpsResult> {
  if (!existsSync(OPS)) throw new Error(`${OPS} is missing: run \`npm run build\` (npm test does it).`);
  try {
    const { stdout, stderr } = await run(process.execPath, [OPS, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, signal, stdout, stderr } = error as OpsResult;
    return { code, signal, stdout, stderr };
  }
}

/** What the command printed as JSON; a command that printed none fails the test with what it said on stderr. */
function jsonOf(result: OpsResult): ReturnType<typeof JSON.parse> {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(
      `ops printed no JSON (exit ${result.code}, signal ${result.signal}); its stderr:\n${result.stderr}`,
    );
  }
}

/** The ops command line against the real PostgreSQL the tests use: timeline and verify. */
describe('ops timeline and verify', () => {
  let app: TestingModule;
  let dataSource: DataSource;
  let authReqId: string;
  let requestId: string;
  let streamId: string;

  beforeAll(async () => {
    app = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
        UserRequestsModule,
      ],
    }).compile();
    dataSource = app.get(DataSource);
    const requested = await recordRequest(app, 'ops-user');
    ({ authReqId, streamId } = requested);
    requestId = requested.data.requestId;
    const metadata = { correlationId: 'ops-int-spec', actor: 'device:dev-ops', occurredAt: new Date().toISOString() };
    await app.get(PostgresEventStore).appendToStream<ConsentGiven | TokensIssued>(streamId, 1, [
      {
        type: 'ConsentGiven',
        schemaVersion: 2,
        data: {
          requestId,
          subject: 'ops-user',
          deviceId: 'dev-ops',
          grantedScope: ['openid'],
          authenticatedAt: metadata.occurredAt,
          evidence: null,
        },
        metadata,
      },
      {
        type: 'TokensIssued',
        schemaVersion: 2,
        data: {
          clientId: 'client-of-tests',
          subject: 'ops-user',
          grantedScope: ['openid'],
          accessTokenId: 'at-ops-1',
          idTokenId: 'id-ops-1',
          accessTokenExpiresAt: metadata.occurredAt,
          sealedTokens: 'SEALED-TOKENS-MUST-NOT-PRINT',
        },
        metadata: { ...metadata, actor: 'client:client-of-tests' },
      },
    ]);
  });

  afterAll(async () => {
    await app?.close();
  });

  /** What someone with the table owner's rights can do: lift the append-only trigger, change rows. */
  function asOwner(statement: string, parameters: unknown[]) {
    return dataSource.transaction(async (manager) => {
      await manager.query(`ALTER TABLE events DISABLE TRIGGER events_append_only`);
      await manager.query(statement, parameters);
      await manager.query(`ALTER TABLE events ENABLE TRIGGER events_append_only`);
    });
  }

  it('prints a request’s events in order by its auth_req_id, request_id or stream id, sealed values left out', async () => {
    for (const id of [authReqId, requestId, streamId]) {
      const { code, stdout } = await ops('timeline', id, '--json');
      expect(code).toBe(0);
      const printed = JSON.parse(stdout) as { streamId: string; events: { type: string; actor: string }[] };
      expect(printed.streamId).toBe(streamId);
      expect(printed.events.map((event) => [event.type, event.actor])).toEqual([
        ['AuthRequested', 'client:test'],
        ['ConsentGiven', 'device:dev-ops'],
        ['TokensIssued', 'client:client-of-tests'],
      ]);
      expect(stdout).toContain('at-ops-1');
      expect(stdout).not.toContain('SEALED-TOKENS');
      expect(stdout).not.toContain(authReqId);
    }
    const human = await ops('timeline', requestId);
    expect(human.stdout).toMatch(/v2 {2}ConsentGiven {2}by device:dev-ops/);
  });

  it('says nothing was found with exit code 1, and a wrong command line with 2', async () => {
    expect(await ops('timeline', 'no-such-request', '--json')).toMatchObject({ code: 1, stdout: '{"found":false}\n' });
    expect((await ops('timeline')).code).toBe(2);
    expect((await ops('verify', '--stream', streamId, '--all')).code).toBe(2);
    expect((await ops('nonsense')).code).toBe(2);
    expect(await ops('verify', '--help')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('usage: ops verify'),
    });
  });

  it('verifies the chains, and finds an event changed in the database, saying where', async () => {
    expect(jsonOf(await ops('verify', '--stream', streamId, '--json'))).toMatchObject({
      events: 3,
      streams: 1,
      breaks: [],
    });
    const tamper = (grantedScope: string[]) =>
      asOwner(
        `UPDATE events SET data = jsonb_set(data, '{grantedScope}', $2::jsonb) WHERE stream_id = $1 AND stream_version = 2`,
        [streamId, JSON.stringify(grantedScope)],
      );
    await tamper(['openid', 'admin']);
    try {
      const one = await ops('verify', '--stream', streamId);
      expect(one.code).toBe(1);
      expect(one.stdout).toContain(`BROKEN ${streamId} at version 2: hash does not match the content`);
      const all = await ops('verify', '--all', '--json');
      expect(all.code).toBe(1);
      expect((jsonOf(all) as { breaks: unknown[] }).breaks).toContainEqual({
        streamId,
        brokenAtVersion: 2,
        reason: 'hash does not match the content',
      });
      // a time range around the request: its stream is verified whole; a range before it finds nothing of it
      const recorded = (await readStoredStream(poolSql(dataSource), streamId))[0]!.recordedAt;
      const around = ['--from', new Date(Date.parse(recorded) - 1_000).toISOString(), '--to', new Date().toISOString()];
      const ranged = await ops('verify', ...around, '--json');
      expect(ranged.code).toBe(1);
      expect((jsonOf(ranged) as { breaks: { streamId: string }[] }).breaks).toContainEqual(
        expect.objectContaining({ streamId, brokenAtVersion: 2 }),
      );
      const before = await ops('verify', '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z', '--json');
      expect(jsonOf(before)).toMatchObject({ events: 0, streams: 0, breaks: [] });
      expect((await ops('verify', ...around, '--all')).code).toBe(2);
    } finally {
      await tamper(['openid']);
    }
    expect((await ops('verify', '--stream', streamId)).code).toBe(0);
  });

  it('signs checkpoints, and catches a stream re-hashed from end to end, which the chains alone cannot', async () => {
    const kek = { ...process.env, BACKCHANNEL_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY };
    expect((await ops('checkpoint')).code).toBe(2); // no key-encryption key, no audit key
    const made = await opsWith(kek, 'checkpoint', '--json');
    expect(made.code).toBe(0);
    const { auditKey } = jsonOf(made) as { auditKey: string };
    // its public half, to keep outside the database
    const { keys } = jsonOf(await ops('audit-keys', '--json')) as { keys: Record<string, string>[] };
    expect(keys).toContainEqual(expect.objectContaining({ kid: auditKey, kty: 'EC', crv: 'P-256', alg: 'ES256' }));
    expect(keys.every((key) => key.d === undefined)).toBe(true);
    const clean = jsonOf(await ops('verify', '--stream', streamId, '--audit-key', auditKey, '--json'));
    expect(clean.checkpoints).toMatchObject({ breaks: [], auditKeys: [auditKey] });
    expect(clean.checkpoints.checkpoints).toBeGreaterThanOrEqual(1);

    // Rewrite the approval and re-hash the rest of the stream consistently, as someone who knows the algorithm would.
    const original = await readStoredStream(poolSql(dataSource), streamId);
    const rewritten = structuredClone(original);
    (rewritten[1]!.data as { grantedScope: string[] }).grantedScope = ['openid', 'admin'];
    for (const [index, event] of rewritten.entries()) {
      event.previousHash = index === 0 ? '' : rewritten[index - 1]!.hash;
      event.hash = eventHash(event);
    }
    const store = async (events: typeof original) => {
      for (const event of events) {
        await asOwner(
          `UPDATE events SET data = $3, previous_hash = $4, hash = $5 WHERE stream_id = $1 AND stream_version = $2`,
          [streamId, event.streamVersion, JSON.stringify(event.data), event.previousHash, event.hash],
        );
      }
    };
    await store(rewritten.slice(1));
    try {
      const caught = await ops('verify', '--stream', streamId, '--json');
      expect(caught.code).toBe(1);
      const report = jsonOf(caught);
      expect(report.breaks).toEqual([]); // the chain itself holds
      expect(report.checkpoints.breaks).toContainEqual({
        checkpoint: expect.any(String),
        streamId,
        version: 3,
        reason: 'the event differs from what a checkpoint signed',
      });
      // and a pinned key that did not sign is refused
      expect((await ops('verify', '--stream', streamId, '--audit-key', 'another-key')).code).toBe(1);
    } finally {
      await store(original.slice(1));
    }
    expect((await ops('verify', '--stream', streamId)).code).toBe(0);
  });

  it('exports a time range as JSON lines, for one client or user, sealed values left out, re-hashable offline', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const { code, stdout } = await ops('export', '--from', from, '--to', to, '--user', 'ops-user');
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RecordedEvent);
    const ours = lines.filter((event) => event.streamId === streamId);
    expect(ours.map((event) => event.type)).toEqual(['AuthRequested', 'ConsentGiven', 'TokensIssued']);
    expect(lines.every((event) => event.streamId.startsWith('auth-request-'))).toBe(true);
    expect(stdout).not.toContain('SEALED-TOKENS');
    // what was not sealed can be checked against its hash without the database
    expect(eventHash(ours[1]!)).toBe(ours[1]!.hash);
    const none = await ops('export', '--from', from, '--to', to, '--client', 'no-such-client');
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect((await ops('export', '--from', 'yesterday', '--to', to)).code).toBe(2);
  });

  it('lists dead letters without their message, asks for a retry, and discards, exit code 1 when none matched', async () => {
    const group = `ops-int-spec-${process.pid}-${Date.now()}`;
    const store = new DeadLetterStore(dataSource);
    const letter = {
      topic: 'backchannel.auth-requests.v1',
      consumerGroup: group,
      key: streamId,
      value: '{"data":"MESSAGE-MUST-NOT-PRINT"}',
      headers: { eventId: 'event-ops-1', eventType: 'ConsentGiven' },
      kind: 'poison' as const,
      error: new Error('no upcaster for ConsentGiven v9'),
    };
    await store.record(letter);
    await store.record({ ...letter, headers: { eventId: 'event-ops-2', eventType: 'ConsentGiven' } });

    const listed = await ops('dead-letters', 'list', '--group', group, '--json');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain('MESSAGE-MUST-NOT-PRINT');
    const { deadLetters } = jsonOf(listed) as { deadLetters: { id: string; eventId: string }[] };
    expect(deadLetters.map((shown) => shown.eventId)).toEqual(['event-ops-1', 'event-ops-2']);
    expect(deadLetters[0]).toMatchObject({ streamId, kind: 'poison', retryRequested: false });
    const [first, second] = deadLetters.map((shown) => shown.id);

    expect(await ops('dead-letters', 'retry', first!)).toMatchObject({
      code: 0,
      stdout: `retry requested for ${first}\n`,
    });
    const [retried] = await store.list({ consumerGroup: group, limit: 1 });
    expect(retried!.retryRequestedAt).not.toBeNull();

    expect(await ops('dead-letters', 'discard', '--group', group, '--json')).toMatchObject({
      code: 0,
      stdout: `${JSON.stringify({ discarded: [first, second] })}\n`,
    });
    expect(await store.list({ consumerGroup: group, limit: 10 })).toEqual([]);
    expect((await ops('dead-letters', 'discard', first!)).code).toBe(1);
    expect((await ops('dead-letters', 'retry')).code).toBe(2);
    expect((await ops('dead-letters', 'retry', 'abc')).code).toBe(2);
  });

  it('republishes a time range to Kafka, keyed and ordered as the relay does, and a fresh consumer group reads it', async () => {
    const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: Topics.authRequests, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();

    const published = await ops('republish', '--from', from, '--to', to, '--stream', streamId, '--json');
    expect(published).toMatchObject({ code: 0, stdout: `${JSON.stringify({ republished: 3 })}\n` });

    const received: { key: string; eventId: string; event: RecordedEvent }[] = [];
    const consumer = kafka.consumer({ groupId: `ops-republish-${process.pid}-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.authRequests, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== streamId) return;
        const event = JSON.parse(message.value!.toString()) as RecordedEvent;
        received.push({ key: streamId, eventId: String(message.headers!.eventId), event });
      },
    });
    try {
      const deadline = Date.now() + 30_000;
      while (received.length < 3 && Date.now() < deadline) await new Promise((tick) => setTimeout(tick, 100));
    } finally {
      await consumer.disconnect();
    }
    const stored = await readStoredStream(poolSql(dataSource), streamId);
    expect(received.map((message) => message.eventId)).toEqual(stored.map((event) => event.eventId));
    expect(received.map((message) => message.event)).toEqual(JSON.parse(JSON.stringify(stored)));
    expect((await ops('republish', '--from', from, '--to', to, '--topic', 'no.such.topic')).code).toBe(2);
  });
});
