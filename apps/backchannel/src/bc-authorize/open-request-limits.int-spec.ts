import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ClientRegistry } from '@backchannel/clients';
import { DeviceRegistry, UserDirectory } from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import { type DenialReason, authRequestStreamId } from '@backchannel/events';
import { AccessDenied } from '@backchannel/oauth';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { UserRequests } from '@backchannel/user-requests';
import { BackchannelModule } from '../backchannel.module.js';
import { BcAuthorizeHandler, TOO_MANY_OPEN_REQUESTS } from './bc-authorize.handler.js';

const config = testConfig({
  AUTH_REQUEST_MAX_PENDING_PER_USER: '5',
  AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: '3',
  AUTH_REQUEST_MIN_EXPIRY_SECONDS: '10',
  AUTH_REQUEST_RATE_PER_CLIENT_AND_USER: '6',
  AUTH_REQUEST_RATE_WINDOW_SECONDS: '600',
  AUTH_REQUEST_DENIAL_BACKOFF_SECONDS: '30',
  AUTH_REQUEST_NOT_ME_BLOCK_SECONDS: '3600',
});

type TestClient = { clientId: string; clientSecret: string };

/**
 * /bc-authorize's limits on open requests, on the real PostgreSQL, as the backchannel app wires
 * them. An answer closes a request in the transaction that records it (as approvals does, through
 * UserRequests.markAnswered): no consumer is involved.
 */
describe('limits on open requests at /bc-authorize', () => {
  let app: TestingModule;
  let handler: BcAuthorizeHandler;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let clients: TestClient[];

  beforeAll(async () => {
    app = await featureTestingModule(BackchannelModule, config, 'pending-quota-int-spec').compile();
    await app.init();
    handler = app.get(BcAuthorizeHandler);
    store = app.get(PostgresEventStore);
    dataSource = app.get(DataSource);
    const context = { actor: 'admin', correlationId: 'pending-quota-int-spec', now: new Date() };
    clients = await Promise.all(
      ['A', 'B', 'C', 'D'].map(async (name) => {
        const { client, clientSecret } = await app
          .get(ClientRegistry)
          .register({ client_name: `Quota client ${name}`, backchannel_token_delivery_mode: 'poll' }, context);
        return { clientId: client.clientId, clientSecret: clientSecret! };
      }),
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  async function newUser(): Promise<string> {
    const sub = `quota-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub });
    await app.get(DeviceRegistry).registerDevice(sub, { name: 'Quota phone' }, 'device_token');
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
      clientCertificate: null,
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
    expect(refusal).toMatchObject({ error: 'access_denied', status: 403, description: TOO_MANY_OPEN_REQUESTS });
  }

  /** Requests recorded for the user, and those made to them: a refusal must leave neither. */
  async function recorded(subject: string): Promise<{ requests: number; made: number; open: number }> {
    const [row] = (await dataSource.query(
      `SELECT (SELECT count(*)::int FROM events WHERE event_type = 'AuthRequested' AND data->>'subject' = $1) AS requests,
              (SELECT count(*)::int FROM user_requests WHERE subject = $1) AS made,
              (SELECT count(*)::int FROM user_requests WHERE subject = $1 AND answered_at IS NULL) AS open`,
      [subject],
    )) as { requests: number; made: number; open: number }[];
    return row!;
  }

  /** The user answers on a device: the request is closed in the transaction that records the answer. */
  async function answer(authReqId: string, at = new Date(), denial: DenialReason | null = null) {
    await store.transaction((tx) => app.get(UserRequests).markAnswered(tx, authRequestStreamId(authReqId), at, denial));
  }

  it('caps the open requests of one client for a user, not those of other clients', async () => {
    const [a, b] = clients as [TestClient, TestClient];
    const subject = await newUser();
    for (let i = 0; i < 3; i++) await bcAuthorize(a, subject);
    await expectRefused(bcAuthorize(a, subject));
    await expect(bcAuthorize(b, subject)).resolves.toHaveProperty('auth_req_id');
    expect(await recorded(subject)).toEqual({ requests: 4, made: 4, open: 4 });
  });

  it('caps the open requests of a user across clients, with the same answer', async () => {
    const [a, b, c] = clients as [TestClient, TestClient, TestClient];
    const subject = await newUser();
    for (let i = 0; i < 3; i++) await bcAuthorize(a, subject);
    for (let i = 0; i < 2; i++) await bcAuthorize(b, subject);
    await expectRefused(bcAuthorize(c, subject));
    await expectRefused(bcAuthorize(b, subject));
    expect(await recorded(subject)).toEqual({ requests: 5, made: 5, open: 5 });
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
    expect(await recorded(subject)).toEqual({ requests: 5, made: 5, open: 5 });

    const other = await newUser();
    const fromOneClient = await Promise.allSettled(Array.from({ length: 8 }, () => bcAuthorize(clients[0]!, other)));
    expect(fromOneClient.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    expect(await recorded(other)).toEqual({ requests: 3, made: 3, open: 3 });
  });

  it('stops counting a request once it has expired', async () => {
    const [a] = clients as [TestClient];
    const subject = await newUser();
    const now = new Date();
    for (let i = 0; i < 3; i++) await bcAuthorize(a, subject, now, '10');
    await expectRefused(bcAuthorize(a, subject, new Date(now.getTime() + 9_999)));
    await expect(bcAuthorize(a, subject, new Date(now.getTime() + 10_000))).resolves.toHaveProperty('auth_req_id');
    // expired requests stay made to the user, and are no longer open
    expect(await recorded(subject)).toEqual({ requests: 4, made: 4, open: 4 });
  });

  it('frees a place once the user answered, however often the answer is recorded', async () => {
    const [a] = clients as [TestClient];
    const subject = await newUser();
    const acks = [];
    for (let i = 0; i < 3; i++) acks.push(await bcAuthorize(a, subject));
    await expectRefused(bcAuthorize(a, subject));

    await answer(acks[0]!.auth_req_id);
    expect(await recorded(subject)).toEqual({ requests: 3, made: 3, open: 2 });
    await expect(bcAuthorize(a, subject)).resolves.toHaveProperty('auth_req_id');

    // closing it again frees nothing more
    await Promise.all([answer(acks[0]!.auth_req_id), answer(acks[0]!.auth_req_id)]);
    await expectRefused(bcAuthorize(a, subject));
    expect(await recorded(subject)).toEqual({ requests: 4, made: 4, open: 3 });
  });

  it('makes the request to the user with what their devices show', async () => {
    const [a] = clients as [TestClient];
    const subject = await newUser();
    const ack = await bcAuthorize(a, subject);
    const [made] = await app.get(UserRequests).listOpen(subject, new Date());
    expect(made).toMatchObject({
      streamId: authRequestStreamId(ack.auth_req_id),
      subject,
      clientId: a.clientId,
      clientName: 'Quota client A',
      scope: ['openid'],
      bindingMessage: null,
      answeredAt: null,
    });
  });

  describe('by rate (6 in 10 minutes), after a denial (30 s) and after "this wasn\'t me" (an hour)', () => {
    const at = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000);

    it('caps the requests of a client to a user in the window, answered or not, and frees them as it slides', async () => {
      const [a, b] = clients as [TestClient, TestClient];
      const subject = await newUser();
      const start = new Date();
      for (let i = 0; i < 6; i++) await answer((await bcAuthorize(a, subject, at(start, i))).auth_req_id, at(start, i));
      await expectRefused(bcAuthorize(a, subject, at(start, 10)));
      await expect(bcAuthorize(b, subject, at(start, 10))).resolves.toHaveProperty('auth_req_id');
      // the first request left the 10-minute window
      await expect(bcAuthorize(a, subject, at(start, 601))).resolves.toHaveProperty('auth_req_id');
    });

    it('holds a client back for a while after the user denied one of its requests', async () => {
      const [a, b] = clients as [TestClient, TestClient];
      const subject = await newUser();
      const start = new Date();
      const ack = await bcAuthorize(a, subject, start);
      await answer(ack.auth_req_id, at(start, 5), 'user_denied');

      await expectRefused(bcAuthorize(a, subject, at(start, 34)));
      await expect(bcAuthorize(b, subject, at(start, 34))).resolves.toHaveProperty('auth_req_id');
      await expect(bcAuthorize(a, subject, at(start, 35))).resolves.toHaveProperty('auth_req_id');
    });

    it('blocks the client for that user after "this wasn\'t me", until the block lapses or is lifted', async () => {
      const [a, b] = clients as [TestClient, TestClient];
      const subject = await newUser();
      const start = new Date();
      await answer((await bcAuthorize(a, subject, start)).auth_req_id, at(start, 1), 'not_recognized');
      const userRequests = app.get(UserRequests);
      const blockSeconds = { notMeBlockSeconds: 3600 };

      await expectRefused(bcAuthorize(a, subject, at(start, 120)));
      await expectRefused(bcAuthorize(a, subject, at(start, 3600)));
      await expect(bcAuthorize(b, subject, at(start, 120))).resolves.toHaveProperty('auth_req_id');
      expect(await userRequests.listBlocks(subject, blockSeconds, at(start, 120))).toEqual([
        { clientId: a.clientId, clientName: 'Quota client A', blockedAt: at(start, 1), blockedUntil: at(start, 3601) },
      ]);
      await expect(bcAuthorize(a, subject, at(start, 3602))).resolves.toHaveProperty('auth_req_id');
      expect(await userRequests.listBlocks(subject, blockSeconds, at(start, 3602))).toEqual([]);

      const other = await newUser();
      await answer((await bcAuthorize(a, other, start)).auth_req_id, at(start, 1), 'not_recognized');
      await expectRefused(bcAuthorize(a, other, at(start, 120)));
      expect(await userRequests.liftBlock(other, a.clientId)).toBe(true);
      expect(await userRequests.liftBlock(other, a.clientId)).toBe(false);
      await expect(bcAuthorize(a, other, at(start, 121))).resolves.toHaveProperty('auth_req_id');
    });
  });
});
