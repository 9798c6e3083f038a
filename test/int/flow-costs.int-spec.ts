import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { ClientRegistry } from '@backchannel/clients';
import { UserDirectory } from '@backchannel/directory';
import { EgressHttpClient } from '@backchannel/egress';
import { CacheInvalidation, PostgresEventStore } from '@backchannel/event-store';
import { authRequestStreamId } from '@backchannel/events';
import { type EventBatch, EventHandlerRunner } from '@backchannel/messaging';
import { testConfig } from '@backchannel/testing';
import { EMBEDDED_CONSUMERS, createEmbeddedApplication } from '../../apps/embedded/src/embedded-app.js';
import { BackchannelApi, type TestClient } from '../e2e/support/backchannel-api.js';
import { NotificationEndpoints } from '../e2e/support/notification-endpoints.js';
import { waitFor } from '../e2e/support/service-process.js';

/**
 * What one flow costs the event pipeline, counted on every service in one process (the embedded
 * composition, each consumer on its own transport): how often the request's stream is read (a
 * poll flow at most 3 times, a push flow at most 5), and which events each consumer is handed
 * (only the types it declares, each once).
 */
describe('the cost of a flow', () => {
  let app: NestFastifyApplication;
  let endpoints: NotificationEndpoints;
  let api: BackchannelApi;
  const reads = new Map<string, number>();
  const deliveries: { group: string; type: string; streamId: string }[] = [];

  beforeAll(async () => {
    endpoints = await NotificationEndpoints.start();
    const config = testConfig({ ...endpoints.stackEnv(), POLL_INTERVAL_SECONDS: '1' });
    app = await createEmbeddedApplication(config, 'flow-costs-int-spec');
    app.useLogger(false);
    const readStream = PostgresEventStore.prototype.readStream;
    jest.spyOn(PostgresEventStore.prototype, 'readStream').mockImplementation(function (this: PostgresEventStore, id) {
      reads.set(id, (reads.get(id) ?? 0) + 1);
      return readStream.call(this, id);
    });
    // what each consumer is handed: the unfinished events of a batch, worked on together or in lanes
    const inTogether = new WeakSet<object>();
    const handed = (batch: EventBatch, group: string) =>
      deliveries.push(...batch.pending().map((event) => ({ group, type: event.type, streamId: event.streamId })));
    const { runLanes, runTogether } = EventHandlerRunner.prototype;
    jest.spyOn(EventHandlerRunner.prototype, 'runTogether').mockImplementation(async function (
      this: EventHandlerRunner,
      batch,
      group,
      work,
    ) {
      handed(batch, group);
      inTogether.add(batch);
      try {
        return await runTogether.call(this, batch, group, work);
      } finally {
        inTogether.delete(batch);
      }
    });
    jest.spyOn(EventHandlerRunner.prototype, 'runLanes').mockImplementation(function (
      this: EventHandlerRunner,
      batch,
      group,
      work,
      lanes,
    ) {
      if (!inTogether.has(batch)) handed(batch, group);
      return runLanes.call(this, batch, group, work, lanes);
    });
    await app.init();
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    api = new BackchannelApi({ baseUrl: await app.getUrl(), adminToken: config.adminToken! });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await endpoints?.close();
  });

  /** The stream's event types, read around the store (whose reads are being counted). */
  async function storedTypes(streamId: string): Promise<string[]> {
    const rows: { event_type: string }[] = await app
      .get(DataSource)
      .query(`SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version`, [streamId]);
    return rows.map((row) => row.event_type);
  }

  /** Waits until every consumer was handed every event of its types in the stream; the stream's types. */
  async function consumed(streamId: string): Promise<string[]> {
    const types = await storedTypes(streamId);
    const owed = EMBEDDED_CONSUMERS.flatMap((consumer) =>
      types.filter((type) => (consumer.eventTypes as readonly string[]).includes(type)),
    );
    await waitFor('every consumer to be handed its events', async () =>
      deliveries.filter((delivery) => delivery.streamId === streamId).length >= owed.length ? true : undefined,
    );
    return types;
  }

  /** Each consumer was handed each event of its types once, and nothing else. */
  function expectOnlyDeclaredTypes(streamId: string, types: string[]): void {
    const handed = deliveries.filter((delivery) => delivery.streamId === streamId);
    for (const consumer of EMBEDDED_CONSUMERS) {
      const expected = types.filter((type) => (consumer.eventTypes as readonly string[]).includes(type)).sort();
      const got = handed.filter((delivery) => delivery.group === consumer.group).map((delivery) => delivery.type);
      expect({ group: consumer.group, types: got.sort() }).toEqual({ group: consumer.group, types: expected });
    }
  }

  async function approveOnDevice(
    client: TestClient,
    user: { sub: string; email: string; deviceToken: string },
    extra: Record<string, string> = {},
  ) {
    const ack = await api.bcAuthorize(client, { scope: 'openid', login_hint: user.email, ...extra });
    expect(ack.status).toBe(200);
    const authReqId = String(ack.body.auth_req_id);
    const [listed] = (await api.deviceRequests(user)).body;
    expect((await api.decide(user, String(listed!.request_id), { decision: 'approve' })).status).toBe(204);
    return authReqId;
  }

  it('a poll flow reads no stream: the process starts each command from the state it appended (StreamStateCache)', async () => {
    const client = await api.registerClient({ client_name: `Poll ${randomBytes(3).toString('hex')}` });
    const user = await api.createUserWithDevice();
    const authReqId = await approveOnDevice(client, user);
    expect((await api.token(client, authReqId)).status).toBe(200);
    const streamId = authRequestStreamId(authReqId);

    const types = await consumed(streamId);

    expect(types).toEqual(['AuthRequested', 'ConsentGiven', 'TokensIssued']);
    // the answer starts from AuthRequested as appended, the redemption from ConsentGiven
    expect(reads.get(streamId) ?? 0).toBe(0);
    expectOnlyDeclaredTypes(streamId, types);
  });

  it('a push flow reads its stream at most 5 times, the push included', async () => {
    const endpoint = endpoints.endpoint();
    const client = await api.registerClient({
      client_name: `Push ${randomBytes(3).toString('hex')}`,
      backchannel_token_delivery_mode: 'push',
      backchannel_client_notification_endpoint: endpoint.url,
    });
    const user = await api.createUserWithDevice();
    const authReqId = await approveOnDevice(client, user, {
      client_notification_token: randomBytes(16).toString('base64url'),
    });
    const streamId = authRequestStreamId(authReqId);
    await endpoint.waitForCalls(1);
    await waitFor('the push to be recorded', async () =>
      (await storedTypes(streamId)).includes('TokensPushed') ? true : undefined,
    );

    const types = await consumed(streamId);

    expect(types).toEqual(['AuthRequested', 'ConsentGiven', 'TokensIssued', 'TokensPushed']);
    expect(reads.get(streamId)).toBeLessThanOrEqual(5);
    expectOnlyDeclaredTypes(streamId, types);
  });

  it('the process holds one of each shared service, however many modules import it', () => {
    // Nest makes a module of every dynamic-module object it is handed: eight ClientsModule.forRoot()
    // imports were eight registries, eight client caches and eight LISTEN sessions, and PostgreSQL
    // wakes every listening session of the database at each append's NOTIFY
    const instances = (token: unknown) => app.get(token as never, { strict: false, each: true }).length;

    expect(instances(ClientRegistry)).toBe(1);
    expect(instances(CacheInvalidation)).toBe(1);
    expect(instances(UserDirectory)).toBe(1);
    expect(instances(EgressHttpClient)).toBe(1);
  });
});
