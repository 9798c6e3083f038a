import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { authRequestDecider } from '@backchannel/auth-request';
import { ClientRegistry } from '@backchannel/clients';
import { PayloadSealer, SealedPayloadError } from '@backchannel/crypto';
import { UserDirectory } from '@backchannel/directory';
import { PostgresEventStore, createDataSource, handleCommand } from '@backchannel/event-store';
import { type AuthRequestEvent, authRequestStreamId } from '@backchannel/events';
import { OAuthError } from '@backchannel/oauth';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { DataSource } from 'typeorm';
import { TokenModule } from '../token.module.js';
import { CibaGrantHandler } from './ciba-grant.handler.js';
import { InvalidGrantThrottleRepository } from './invalid-grant-throttle.repository.js';
import { PollThrottleRepository, SLOW_DOWN_INCREMENT_SECONDS } from './poll-throttle.repository.js';

const CIBA = 'urn:openid:params:grant-type:ciba';
const config = testConfig();

const metadata = (now: Date) => ({ now: now.toISOString(), correlationId: 'token-int-spec', actor: 'test' });

/** The token service's handler on the real PostgreSQL, as the token app wires it, with a poll client of its own. */
class TokenService {
  app!: TestingModule;
  handler!: CibaGrantHandler;
  store!: PostgresEventStore;
  /** A user of the directory: tokens are issued only for a user who is still there and enabled. */
  readonly subject = `token-int-spec-${randomBytes(6).toString('hex')}`;

  constructor(private readonly configured = config) {}

  async start(): Promise<void> {
    this.app = await featureTestingModule(TokenModule, this.configured, 'token-int-spec').compile();
    await this.app.init();
    this.handler = this.app.get(CibaGrantHandler);
    this.store = this.app.get(PostgresEventStore);
    await this.app.get(UserDirectory).createUser({ sub: this.subject });
  }

  async registerClient(): Promise<{ clientId: string; clientSecret: string }> {
    const registered = await this.app
      .get(ClientRegistry)
      .register(
        { client_name: 'Token int-spec client', backchannel_token_delivery_mode: 'poll' },
        { actor: 'admin', correlationId: 'token-int-spec', now: new Date() },
      );
    return { clientId: registered.client.clientId, clientSecret: registered.clientSecret! };
  }

  /** A new request of the client in its own stream, expiring `lifetimeMs` after `now`. */
  async requestAuthentication(clientId: string, now: Date, lifetimeMs: number): Promise<string> {
    const authReqId = randomBytes(32).toString('base64url');
    const result = await handleCommand(this.store, authRequestStreamId(authReqId), authRequestDecider, {
      type: 'RequestAuthentication',
      data: {
        requestId: `req_${authReqId.slice(0, 12)}`,
        clientId,
        clientName: 'Token int-spec client',
        subject: this.subject,
        hintKind: 'login_hint',
        scope: ['openid'],
        acrValues: [],
        bindingMessage: null,
        deliveryMode: 'poll',
        pollInterval: 5,
        clientNotification: null,
        expiresAt: new Date(now.getTime() + lifetimeMs).toISOString(),
      },
      metadata: metadata(now),
    });
    expect(result.outcome).toBe('accepted');
    return authReqId;
  }

  giveConsent(authReqId: string, now: Date) {
    return handleCommand(this.store, authRequestStreamId(authReqId), authRequestDecider, {
      type: 'GiveConsent',
      data: { subject: this.subject, deviceId: 'dev_int_spec' },
      metadata: metadata(now),
    });
  }

  redeem(client: { clientId: string; clientSecret: string }, authReqId: string, now: Date) {
    const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
    return this.handler.handle({
      params: new Map([
        ['grant_type', CIBA],
        ['auth_req_id', authReqId],
      ]),
      authorization: `Basic ${basic}`,
      clientCertificate: null,
      correlationId: 'token-int-spec',
      now,
    });
  }

  async streamEvents(authReqId: string) {
    return (await this.store.readStream<AuthRequestEvent>(authRequestStreamId(authReqId))).events;
  }
}

describe('CIBA grant on PostgreSQL', () => {
  const service = new TokenService();
  let client: { clientId: string; clientSecret: string };
  let otherClient: { clientId: string; clientSecret: string };

  beforeAll(() => service.start());

  // a client per test: the invalid_grant answers of one test never count against another's
  beforeEach(async () => {
    [client, otherClient] = await Promise.all([service.registerClient(), service.registerClient()]);
  });

  afterAll(async () => {
    await service.app?.close();
  });

  const requestAuthentication = (now: Date, lifetimeMs: number) =>
    service.requestAuthentication(client.clientId, now, lifetimeMs);
  const giveConsent = (authReqId: string, now: Date) => service.giveConsent(authReqId, now);
  const redeem = (authReqId: string, now: Date, as = client) => service.redeem(as, authReqId, now);
  const streamEvents = (authReqId: string) => service.streamEvents(authReqId);

  async function tokensIssued(authReqId: string) {
    return (await streamEvents(authReqId)).filter((event) => event.type === 'TokensIssued');
  }

  it('answers concurrent redemptions of one auth_req_id with exactly one token response', async () => {
    const now = new Date();
    const authReqId = await requestAuthentication(now, 60_000);
    expect((await giveConsent(authReqId, now)).outcome).toBe('accepted');

    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 12 }, () => redeem(authReqId, new Date())),
      ...Array.from({ length: 4 }, () => redeem(authReqId, new Date(), otherClient)),
    ]);

    // the client's own redemptions all get the one response; another client's none
    const granted = outcomes.slice(0, 12).map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : null));
    expect(new Set(granted.map((tokens) => JSON.stringify(tokens))).size).toBe(1);
    expect(granted[0]).toMatchObject({ access_token: expect.any(String), id_token: expect.any(String) });
    const refused = outcomes
      .slice(12)
      .map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as OAuthError).error : 'tokens'));
    expect(refused).toEqual(Array(4).fill('invalid_grant'));
    expect(await tokensIssued(authReqId)).toHaveLength(1);
  });

  describe('a retry after a lost response', () => {
    const windowMs = config.tokenRetryWindowSeconds * 1000;

    it('answers the same client the same response within the window, sealed at rest to the auth_req_id', async () => {
      const issuedAt = new Date();
      const authReqId = await requestAuthentication(issuedAt, 60_000);
      await giveConsent(authReqId, issuedAt);
      const first = await redeem(authReqId, issuedAt);

      const retried = await redeem(authReqId, new Date(issuedAt.getTime() + windowMs - 1));

      expect(retried).toEqual(first);
      expect(await tokensIssued(authReqId)).toHaveLength(1);
      const kept: { sealed_response: string }[] = await service.app
        .get(DataSource)
        .query(`SELECT sealed_response FROM issued_responses WHERE stream_id = $1`, [authRequestStreamId(authReqId)]);
      expect(kept).toHaveLength(1);
      expect(kept[0]!.sealed_response).not.toContain(first.access_token);
      // the database's keys do not open it: only the auth_req_id, which it does not hold
      await expect(
        service.app.get(PayloadSealer).open(kept[0]!.sealed_response, authRequestStreamId(authReqId)),
      ).rejects.toThrow(SealedPayloadError);
    });

    it('refuses another client within the window, and the same client once it is over', async () => {
      const issuedAt = new Date();
      const authReqId = await requestAuthentication(issuedAt, 60_000);
      await giveConsent(authReqId, issuedAt);
      await redeem(authReqId, issuedAt);

      await expect(redeem(authReqId, new Date(issuedAt.getTime() + 1), otherClient)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      await expect(redeem(authReqId, new Date(issuedAt.getTime() + windowMs))).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect(await tokensIssued(authReqId)).toHaveLength(1);
    });

    it('deletes a kept response once its window is over', async () => {
      const longAgo = new Date(Date.now() - windowMs - 60_000);
      const authReqId = await requestAuthentication(longAgo, 10 * 60_000);
      await giveConsent(authReqId, longAgo);
      await redeem(authReqId, longAgo);
      // the next issuance, of any request, takes the responses whose window ended
      const next = await requestAuthentication(new Date(), 60_000);
      await giveConsent(next, new Date());
      await redeem(next, new Date());

      const kept = await service.app
        .get(DataSource)
        .query(`SELECT 1 FROM issued_responses WHERE stream_id = $1`, [authRequestStreamId(authReqId)]);
      expect(kept).toEqual([]);
    });
  });

  it('never issues tokens when an approval races expiry', async () => {
    const lifetimeMs = 400;
    for (let round = 0; round < 15; round += 1) {
      const requestedAt = new Date();
      const authReqId = await requestAuthentication(requestedAt, lifetimeMs);
      const expiresAt = requestedAt.getTime() + lifetimeMs;
      // the approval and a burst of polls land around the moment of expiry, on the real clock
      await new Promise((resolve) => setTimeout(resolve, lifetimeMs - 40 + (round % 5) * 20));
      await Promise.allSettled([
        giveConsent(authReqId, new Date()),
        ...Array.from({ length: 4 }, (_, i) =>
          new Promise((resolve) => setTimeout(resolve, i * 15)).then(() => redeem(authReqId, new Date())),
        ),
      ]);
      const afterExpiry = await redeem(authReqId, new Date(expiresAt)).then(
        () => 'tokens',
        (error: OAuthError) => error.error,
      );

      const events = await streamEvents(authReqId);
      const consent = events.find((event) => event.type === 'ConsentGiven');
      const issued = events.find((event) => event.type === 'TokensIssued');
      // tokens issued before expiry are answered again to a retry within its window; no others
      if (!issued) expect(afterExpiry).not.toBe('tokens');
      if (consent) expect(Date.parse(consent.metadata.occurredAt)).toBeLessThan(expiresAt);
      if (issued) {
        expect(consent).toBeDefined();
        expect(Date.parse(issued.metadata.occurredAt)).toBeLessThan(expiresAt);
      }
    }
  });

  it('refuses a redemption at or after expiry even when the user approved in time', async () => {
    const now = new Date();
    const authReqId = await requestAuthentication(now, 1_000);
    expect((await giveConsent(authReqId, new Date(now.getTime() + 999))).outcome).toBe('accepted');
    await expect(redeem(authReqId, new Date(now.getTime() + 1_000))).rejects.toMatchObject({ error: 'expired_token' });
    expect((await streamEvents(authReqId)).map((event) => event.type)).toEqual(['AuthRequested', 'ConsentGiven']);
  });
});

describe('poll throttling across replicas', () => {
  const replicas = [createDataSource(config.databaseUrl), createDataSource(config.databaseUrl)];
  const [first, second] = replicas.map((dataSource) => new PollThrottleRepository(dataSource));

  beforeAll(async () => {
    await Promise.all(replicas.map((dataSource) => dataSource.initialize()));
  });

  afterAll(async () => {
    await Promise.all(replicas.map((dataSource) => dataSource.destroy()));
  });

  it('never slows down the first poll, and slows a fast poll on another replica by 5 s more each time', async () => {
    const authReqId = randomBytes(32).toString('base64url');
    const start = Date.now();
    const at = (seconds: number) => new Date(start + seconds * 1000);
    const expiresAt = at(300);

    expect(await first!.recordPoll(authReqId, 5, at(0), expiresAt)).toEqual({ kind: 'in_time' });
    expect(await second!.recordPoll(authReqId, 5, at(1), expiresAt)).toEqual({
      kind: 'too_fast',
      intervalSeconds: 5 + SLOW_DOWN_INCREMENT_SECONDS,
    });
    // 9 s after the last poll is within the new 10 s interval: slower still
    expect(await first!.recordPoll(authReqId, 5, at(10), expiresAt)).toEqual({ kind: 'too_fast', intervalSeconds: 15 });
    expect(await second!.recordPoll(authReqId, 5, at(25), expiresAt)).toEqual({ kind: 'in_time' });
  });

  it('lets at most one of two simultaneous first polls through and keeps the interval consistent', async () => {
    const authReqId = randomBytes(32).toString('base64url');
    const now = new Date();
    const verdicts = await Promise.all([
      first!.recordPoll(authReqId, 5, now, new Date(now.getTime() + 60_000)),
      second!.recordPoll(authReqId, 5, now, new Date(now.getTime() + 60_000)),
    ]);
    expect(verdicts.filter((verdict) => verdict.kind === 'in_time')).toHaveLength(1);
  });
});

describe('throttling auth_req_id guessing per client (INVALID_GRANT_BUDGET 3 in 60 s here)', () => {
  const service = new TokenService(testConfig({ INVALID_GRANT_BUDGET: '3', INVALID_GRANT_WINDOW_SECONDS: '60' }));

  beforeAll(() => service.start());

  afterAll(async () => {
    await service.app?.close();
  });

  const guess = () => randomBytes(32).toString('base64url');
  const answer = (promise: Promise<unknown>) =>
    promise.then(
      () => 'tokens',
      (error: OAuthError) => error.error,
    );

  it('answers slow_down, never 429, once the budget is spent, to any auth_req_id of the client until the window ends', async () => {
    const guesser = await service.registerClient();
    const start = new Date();
    const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
    const pending = await service.requestAuthentication(guesser.clientId, start, 600_000);

    for (let second = 0; second < 3; second++) {
      expect(await answer(service.redeem(guesser, guess(), at(second)))).toBe('invalid_grant');
    }
    // over the budget: guesses learn nothing, and its own request is not even looked at
    const throttled = await service.redeem(guesser, guess(), at(3)).catch((error: OAuthError) => error);
    expect(throttled).toMatchObject({ error: 'slow_down', status: 400 });
    expect(await answer(service.redeem(guesser, pending, at(4)))).toBe('slow_down');
    expect(await answer(service.redeem(guesser, guess(), at(59)))).toBe('slow_down');

    // the window that opened with the first invalid_grant has ended: checked normally again
    expect(await answer(service.redeem(guesser, pending, at(61)))).toBe('authorization_pending');
    expect(await answer(service.redeem(guesser, guess(), at(62)))).toBe('invalid_grant');
  });

  it('leaves the polls of other clients, and of a client under the budget, as they were', async () => {
    const guesser = await service.registerClient();
    const honest = await service.registerClient();
    const now = new Date();
    for (let attempt = 0; attempt < 3; attempt++) await answer(service.redeem(guesser, guess(), now));
    expect(await answer(service.redeem(guesser, guess(), now))).toBe('slow_down');

    const authReqId = await service.requestAuthentication(honest.clientId, now, 600_000);
    expect(await answer(service.redeem(honest, authReqId, now))).toBe('authorization_pending');
    expect(await answer(service.redeem(honest, guess(), now))).toBe('invalid_grant');
    await service.giveConsent(authReqId, now);
    expect(await answer(service.redeem(honest, authReqId, new Date(now.getTime() + 5_000)))).toBe('tokens');
  });

  it('counts across replicas: the budget is in PostgreSQL', async () => {
    const replicas = [createDataSource(config.databaseUrl), createDataSource(config.databaseUrl)];
    await Promise.all(replicas.map((dataSource) => dataSource.initialize()));
    try {
      const [first, second] = replicas.map((dataSource) => new InvalidGrantThrottleRepository(dataSource));
      const clientId = `replicas-${guess()}`;
      const budget = { budget: 4, windowSeconds: 60 };
      const now = new Date();
      await Promise.all([
        first!.recordInvalidGrant(clientId, budget, now),
        second!.recordInvalidGrant(clientId, budget, now),
        first!.recordInvalidGrant(clientId, budget, now),
      ]);
      expect(await second!.isOverBudget(clientId, budget, now)).toBe(false);
      await second!.recordInvalidGrant(clientId, budget, now);
      expect(await first!.isOverBudget(clientId, budget, now)).toBe(true);
    } finally {
      await Promise.all(replicas.map((dataSource) => dataSource.destroy()));
    }
  });
});
