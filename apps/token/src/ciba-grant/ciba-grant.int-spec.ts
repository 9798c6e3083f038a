import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { authRequestDecider } from '@backchannel/auth-request';
import { ClientRegistry } from '@backchannel/clients';
import { PayloadSealer, SealedPayloadError } from '@backchannel/crypto';
import { PostgresEventStore, createDataSource, handleCommand } from '@backchannel/event-store';
import { type AuthRequestEvent, authRequestStreamId } from '@backchannel/events';
import { OAuthError } from '@backchannel/oauth';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { DataSource } from 'typeorm';
import { TokenModule } from '../token.module.js';
import { CibaGrantHandler } from './ciba-grant.handler.js';
import { PollThrottleRepository, SLOW_DOWN_INCREMENT_SECONDS } from './poll-throttle.repository.js';

const CIBA = 'urn:openid:params:grant-type:ciba';

interface RegisteredPollClient {
  clientId: string;
  clientSecret: string;
}
const config = testConfig();

/** The token service's handler on the real PostgreSQL, as the token app wires it. */
describe('CIBA grant on PostgreSQL', () => {
  let app: TestingModule;
  let handler: CibaGrantHandler;
  let store: PostgresEventStore;
  let client: RegisteredPollClient;
  let otherClient: RegisteredPollClient;

  async function registerPollClient(): Promise<RegisteredPollClient> {
    const registered = await app
      .get(ClientRegistry)
      .register(
        { client_name: 'Token int-spec client', backchannel_token_delivery_mode: 'poll' },
        { actor: 'admin', correlationId: 'token-int-spec', now: new Date() },
      );
    return { clientId: registered.client.clientId, clientSecret: registered.clientSecret! };
  }

  beforeAll(async () => {
    app = await featureTestingModule(TokenModule, config, 'token-int-spec').compile();
    await app.init();
    handler = app.get(CibaGrantHandler);
    store = app.get(PostgresEventStore);
    client = await registerPollClient();
    otherClient = await registerPollClient();
  });

  afterAll(async () => {
    await app?.close();
  });

  const metadata = (now: Date) => ({ now: now.toISOString(), correlationId: 'token-int-spec', actor: 'test' });

  /** A new request in its own stream, expiring `lifetimeMs` after `now`. */
  async function requestAuthentication(now: Date, lifetimeMs: number): Promise<string> {
    const authReqId = randomBytes(32).toString('base64url');
    const result = await handleCommand(store, authRequestStreamId(authReqId), authRequestDecider, {
      type: 'RequestAuthentication',
      data: {
        requestId: `req_${authReqId.slice(0, 12)}`,
        clientId: client.clientId,
        clientName: 'Token int-spec client',
        subject: 'token-int-spec-user',
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

  function giveConsent(authReqId: string, now: Date) {
    return handleCommand(store, authRequestStreamId(authReqId), authRequestDecider, {
      type: 'GiveConsent',
      data: { subject: 'token-int-spec-user', deviceId: 'dev_int_spec' },
      metadata: metadata(now),
    });
  }

  function redeem(authReqId: string, now: Date, as: RegisteredPollClient = client) {
    const basic = Buffer.from(`${as.clientId}:${as.clientSecret}`).toString('base64');
    return handler.handle({
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

  async function streamEvents(authReqId: string) {
    return (await store.readStream<AuthRequestEvent>(authRequestStreamId(authReqId))).events;
  }

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
      const kept: { sealed_response: string }[] = await app
        .get(DataSource)
        .query(`SELECT sealed_response FROM issued_responses WHERE stream_id = $1`, [authRequestStreamId(authReqId)]);
      expect(kept).toHaveLength(1);
      expect(kept[0]!.sealed_response).not.toContain(first.access_token);
      // the database's keys do not open it: only the auth_req_id, which it does not hold
      await expect(
        app.get(PayloadSealer).open(kept[0]!.sealed_response, authRequestStreamId(authReqId)),
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

      const kept = await app
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
