import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { type AuthRequestCommand, authRequestDecider } from '@backchannel/auth-request';
import { ClientRegistry } from '@backchannel/clients';
import { DeviceRegistry, UserDirectory } from '@backchannel/directory';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { type AuthRequestEvent, authRequestStreamId } from '@backchannel/events';
import { AccessDenied } from '@backchannel/oauth';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { BackchannelModule } from '../backchannel.module.js';
import { BcAuthorizeHandler } from '../bc-authorize/bc-authorize.handler.js';
import { PendingQuotaConsumer } from './pending-quota.consumer.js';
import { TOO_MANY_PENDING_REQUESTS } from './pending-request-slots.repository.js';

const config = testConfig({
  AUTH_REQUEST_MAX_PENDING_PER_USER: '5',
  AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: '3',
  AUTH_REQUEST_MIN_EXPIRY_SECONDS: '10',
});

type TestClient = { clientId: string; clientSecret: string };

/** /bc-authorize's limits on open requests, on the real PostgreSQL, as the backchannel app wires them. */
describe('limits on open requests at /bc-authorize', () => {
  let app: TestingModule;
  let handler: BcAuthorizeHandler;
  let consumer: PendingQuotaConsumer;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let clients: TestClient[];

  beforeAll(async () => {
    app = await featureTestingModule(BackchannelModule, config, 'pending-quota-int-spec').compile();
    await app.init();
    handler = app.get(BcAuthorizeHandler);
    consumer = app.get(PendingQuotaConsumer);
    store = app.get(PostgresEventStore);
    dataSource = app.get(DataSource);
    const context = { actor: 'admin', correlationId: 'pending-quota-int-spec', now: new Date() };
    clients = await Promise.all(
      ['A', 'B', 'C', 'D'].map(async (name) => {
        const { client, clientSecret } = await app
          .get(ClientRegistry)
          .register({ client_name: `Quota client ${name}`, backchannel_token_delivery_mode: 'poll' }, context);
        return { clientId: client.clientId, clientSecret };
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  async function newUser(): Promise<string> {
    const sub = `quota-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub });
    await app.get(DeviceRegistry).registerDevice(sub, { name: 'Quota phone' });
    return sub;
  }

  function bcAuthorize(client: TestClient, subject: string, now = new Date(), requestedExpiry = '60') {
    const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
    return handler.handle({
      params: new Map([
        ['scope', 'openid'],
        ['login_hint', subject],
        ['requested_expiry', requestedExpiry],
      ]),
      authorization: `Basic ${basic}`,
      correlationId: 'pending-quota-int-spec',
      now,
    });
  }

  async function expectRefused(request: Promise<unknown>): Promise<void> {
    const refusal = await request.then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(AccessDenied);
    expect(refusal).toMatchObject({ error: 'access_denied', status: 403, description: TOO_MANY_PENDING_REQUESTS });
  }

  /** Requests recorded for the user, and slots they hold: a refusal must leave neither. */
  async function recorded(subject: string): Promise<{ requests: number; slots: number }> {
    const [row] = (await dataSource.query(
      `SELECT (SELECT count(*)::int FROM events WHERE event_type = 'AuthRequested' AND data->>'subject' = $1) AS requests,
              (SELECT count(*)::int FROM pending_request_slots WHERE subject = $1) AS slots`,
      [subject],
    )) as { requests: number; slots: number }[];
    return row!;
  }

  /** The user decides on the device (as the notifier does); the event reaches the consumer. */
  async function decideAndDeliver(authReqId: string, subject: string, type: 'GiveConsent' | 'DenyConsent') {
    const command: AuthRequestCommand = {
      type,
      data: { subject, deviceId: 'dev_quota' },
      metadata: { now: new Date().toISOString(), correlationId: 'pending-quota-int-spec', actor: 'device:dev_quota' },
    };
    const result = await handleCommand(store, authRequestStreamId(authReqId), authRequestDecider, command);
    if (result.outcome !== 'accepted') throw new Error(`decision refused: ${result.rejection.code}`);
    const [decided] = result.events;
    await consumer.onAuthRequestEvent(decided!);
    return decided!;
  }

  it('caps the open requests of one client for a user, not those of other clients', async () => {
    const [a, b] = clients as [TestClient, TestClient];
    const subject = await newUser();
    for (let i = 0; i < 3; i++) await bcAuthorize(a, subject);
    await expectRefused(bcAuthorize(a, subject));
    await expect(bcAuthorize(b, subject)).resolves.toHaveProperty('auth_req_id');
    expect(await recorded(subject)).toEqual({ requests: 4, slots: 4 });
  });

  it('caps the open requests of a user across clients, with the same answer', async () => {
    const [a, b, c] = clients as [TestClient, TestClient, TestClient];
    const subject = await newUser();
    for (let i = 0; i < 3; i++) await bcAuthorize(a, subject);
    for (let i = 0; i < 2; i++) await bcAuthorize(b, subject);
    await expectRefused(bcAuthorize(c, subject));
    await expectRefused(bcAuthorize(b, subject));
    expect(await recorded(subject)).toEqual({ requests: 5, slots: 5 });
    // another user is not affected
    await expect(bcAuthorize(c, await newUser())).resolves.toHaveProperty('auth_req_id');
  });

  it('never lets concurrent requests for one user pass a cap together', async () => {
    const subject = await newUser();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => bcAuthorize(clients[i % clients.length]!, subject)),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(AccessDenied);
    }
    expect(await recorded(subject)).toEqual({ requests: 5, slots: 5 });

    const other = await newUser();
    const fromOneClient = await Promise.allSettled(Array.from({ length: 8 }, () => bcAuthorize(clients[0]!, other)));
    expect(fromOneClient.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    expect(await recorded(other)).toEqual({ requests: 3, slots: 3 });
  });

  it('stops counting a request once it has expired', async () => {
    const [a] = clients as [TestClient];
    const subject = await newUser();
    const now = new Date();
    for (let i = 0; i < 3; i++) await bcAuthorize(a, subject, now, '10');
    await expectRefused(bcAuthorize(a, subject, new Date(now.getTime() + 9_999)));
    await expect(bcAuthorize(a, subject, new Date(now.getTime() + 10_000))).resolves.toHaveProperty('auth_req_id');
    // the expired slots were cleared when the user's next request was counted
    expect(await recorded(subject)).toEqual({ requests: 4, slots: 1 });
  });

  it.each(['DenyConsent', 'GiveConsent'] as const)(
    'frees a slot on %s, however often the decision is delivered',
    async (decision) => {
      const [a] = clients as [TestClient];
      const subject = await newUser();
      const acks = [];
      for (let i = 0; i < 3; i++) acks.push(await bcAuthorize(a, subject));
      await expectRefused(bcAuthorize(a, subject));

      const decided = await decideAndDeliver(acks[0]!.auth_req_id, subject, decision);
      expect(await recorded(subject)).toEqual({ requests: 3, slots: 2 });
      await expect(bcAuthorize(a, subject)).resolves.toHaveProperty('auth_req_id');

      // a redelivered decision frees nothing more
      await Promise.all([consumer.onAuthRequestEvent(decided), consumer.onAuthRequestEvent(decided)]);
      await expectRefused(bcAuthorize(a, subject));
      expect(await recorded(subject)).toEqual({ requests: 4, slots: 3 });
    },
  );

  it('keeps the slot on events that do not decide the request, such as a redelivered AuthRequested', async () => {
    const [a] = clients as [TestClient];
    const subject = await newUser();
    const ack = await bcAuthorize(a, subject);
    const { events } = await store.readStream<AuthRequestEvent>(authRequestStreamId(ack.auth_req_id));
    await consumer.onAuthRequestEvent(events[0]!);
    expect(await recorded(subject)).toEqual({ requests: 1, slots: 1 });
  });
});
