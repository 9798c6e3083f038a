import { createHash, randomBytes } from 'node:crypto';
import { EventBatch } from '@backchannel/messaging';
import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { authRequestDecider } from '@backchannel/auth-request';
import { PayloadSealer, ShreddablePayloads, SigningKeys } from '@backchannel/crypto';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import {
  type AuthRequestEvent,
  type AuthRequested,
  type ConsentGiven,
  type NotificationSecrets,
  type PushedTokens,
  type RecordedEvent,
  type TokenDeliveryMode,
  type TokensIssued,
  authRequestStreamId,
} from '@backchannel/events';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { TokenModule } from '../token.module.js';
import { PushIssuanceConsumer } from './push-issuance.consumer.js';

const config = testConfig();
const SUBJECT = 'push-issuance-user';

/** The token service's auth-request consumer on the real PostgreSQL, fed the events as the transports deliver them. */
describe('push-mode issuance', () => {
  let app: TestingModule;
  let consumer: PushIssuanceConsumer;
  let store: PostgresEventStore;
  let sealer: PayloadSealer;
  let signingKeys: SigningKeys;

  beforeAll(async () => {
    app = await featureTestingModule(TokenModule, config, 'push-issuance-int-spec').compile();
    await app.init();
    consumer = app.get(PushIssuanceConsumer);
    store = app.get(PostgresEventStore);
    sealer = app.get(PayloadSealer);
    signingKeys = app.get(SigningKeys);
    // tokens are minted only for a user the directory knows, and enabled
    await app.get(DataSource).query(`INSERT INTO users (subject) VALUES ($1) ON CONFLICT DO NOTHING`, [SUBJECT]);
  });

  afterAll(async () => {
    await app?.close();
  });

  interface ApprovedRequest {
    authReqId: string;
    clientId: string;
    streamId: string;
  }

  /**
   * A request of a `mode` client, handed to the consumer as the transport would, then approved at
   * once, expiring `lifetimeMs` after now; its secrets really sealed.
   */
  async function approvedRequest(mode: TokenDeliveryMode, lifetimeMs = 60_000): Promise<ApprovedRequest> {
    const now = new Date();
    const authReqId = randomBytes(32).toString('base64url');
    const clientId = `${mode}-client-${randomBytes(6).toString('hex')}`;
    const streamId = authRequestStreamId(authReqId);
    const secrets: NotificationSecrets = { authReqId, clientNotificationToken: randomBytes(32).toString('base64url') };
    const clientNotification =
      mode === 'poll'
        ? null
        : { endpoint: 'https://client.example.com/cb', sealedSecrets: await sealer.seal(secrets, streamId) };
    const metadata = { now: now.toISOString(), correlationId: 'push-issuance-int-spec', actor: 'test' };
    const requested = await handleCommand(store, streamId, authRequestDecider, {
      type: 'RequestAuthentication',
      data: {
        requestId: `req_${randomBytes(12).toString('base64url')}`,
        clientId,
        clientName: 'Push issuance int-spec client',
        subject: SUBJECT,
        hintKind: 'login_hint',
        scope: ['openid', 'email', 'profile'],
        acrValues: [],
        bindingMessage: null,
        deliveryMode: mode,
        pollInterval: 5,
        clientNotification,
        expiresAt: new Date(now.getTime() + lifetimeMs).toISOString(),
      },
      metadata,
    });
    await consumer.onAuthRequestEvents(new EventBatch([await recorded(streamId, 'AuthRequested')]));
    const consented = await handleCommand(store, streamId, authRequestDecider, {
      type: 'GiveConsent',
      data: { subject: SUBJECT, deviceId: 'dev_push_int_spec', grantedScope: ['openid', 'email'] },
      metadata,
    });
    expect([requested.outcome, consented.outcome]).toEqual(['accepted', 'accepted']);
    return { authReqId, clientId, streamId };
  }

  async function streamEvents(streamId: string): Promise<RecordedEvent<AuthRequestEvent>[]> {
    return (await store.readStream<AuthRequestEvent>(streamId)).events;
  }

  /** The stored event of `type` (one the consumer takes), read back as a transport would deliver it. */
  async function recorded<Type extends 'AuthRequested' | 'ConsentGiven'>(
    streamId: string,
    type: Type,
  ): Promise<RecordedEvent<Extract<AuthRequested | ConsentGiven, { type: Type }>>> {
    const event = (await streamEvents(streamId)).find((candidate) => candidate.type === type);
    if (!event) throw new Error(`no ${type} in ${streamId}`);
    return event as RecordedEvent<Extract<AuthRequested | ConsentGiven, { type: Type }>>;
  }

  async function tokensIssued(streamId: string): Promise<RecordedEvent<TokensIssued>[]> {
    return (await streamEvents(streamId)).filter(
      (event): event is RecordedEvent<TokensIssued> => event.type === 'TokensIssued',
    );
  }

  it('mints once on approval and records the tokens sealed, verifiable against the JWKS', async () => {
    const { authReqId, clientId, streamId } = await approvedRequest('push');
    const consent = await recorded(streamId, 'ConsentGiven');

    await consumer.onAuthRequestEvents(new EventBatch([consent]));

    const [issued, ...others] = await tokensIssued(streamId);
    expect(others).toEqual([]);
    expect(issued!.data).toMatchObject({ clientId, subject: SUBJECT, grantedScope: ['openid', 'email'] });
    expect(issued!.metadata).toMatchObject({ causationId: consent.eventId, actor: 'system:token' });
    const sealedTokens = issued!.data.sealedTokens!;
    const pushed = await app.get(ShreddablePayloads).open<PushedTokens>(sealedTokens, streamId);
    expect(pushed).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: config.accessTokenTtlSeconds,
      id_token: expect.any(String),
      scope: 'openid email',
    });
    // neither the tokens nor the auth_req_id are stored in the clear
    const stored = JSON.stringify(await streamEvents(streamId));
    for (const secret of [pushed.access_token, pushed.id_token, authReqId]) expect(stored).not.toContain(secret);

    const jwks = createLocalJWKSet(await signingKeys.jwks());
    const accessToken = await jwtVerify(pushed.access_token, jwks, {
      algorithms: ['ES256'],
      issuer: config.issuer,
      audience: config.issuer,
      typ: 'at+jwt',
    });
    expect(accessToken.payload).toMatchObject({
      sub: SUBJECT,
      client_id: clientId,
      scope: 'openid email',
      jti: issued!.data.accessTokenId,
    });
    const idToken = await jwtVerify(pushed.id_token, jwks, {
      algorithms: ['ES256'],
      issuer: config.issuer,
      audience: clientId,
      typ: 'JWT',
      requiredClaims: ['iat', 'exp', 'auth_time', 'at_hash'],
    });
    const accessTokenDigest = createHash('sha256').update(Buffer.from(pushed.access_token, 'ascii')).digest();
    expect(idToken.payload).toMatchObject({
      aud: clientId,
      sub: SUBJECT,
      jti: issued!.data.idTokenId,
      'urn:openid:params:jwt:claim:auth_req_id': authReqId,
      at_hash: accessTokenDigest.subarray(0, 16).toString('base64url'),
    });
    expect(idToken.payload).not.toHaveProperty('urn:openid:params:jwt:claim:rt_hash');
  });

  it('issues nothing more when the same ConsentGiven is delivered again', async () => {
    const { streamId } = await approvedRequest('push');
    const consent = await recorded(streamId, 'ConsentGiven');

    await consumer.onAuthRequestEvents(new EventBatch([consent]));
    const [first] = await tokensIssued(streamId);
    await consumer.onAuthRequestEvents(new EventBatch([consent]));

    expect(await tokensIssued(streamId)).toEqual([first]);
  });

  it('issues once when concurrent deliveries race', async () => {
    const { streamId } = await approvedRequest('push');
    const consent = await recorded(streamId, 'ConsentGiven');

    await Promise.all(Array.from({ length: 4 }, () => consumer.onAuthRequestEvents(new EventBatch([consent]))));

    expect(await tokensIssued(streamId)).toHaveLength(1);
  });

  it('issues nothing for a request that expired before the approval was handled', async () => {
    const lifetimeMs = 300;
    const { streamId } = await approvedRequest('push', lifetimeMs);
    const consent = await recorded(streamId, 'ConsentGiven');
    await sleep(lifetimeMs + 50);

    await consumer.onAuthRequestEvents(new EventBatch([consent]));

    expect((await streamEvents(streamId)).map((event) => event.type)).toEqual(['AuthRequested', 'ConsentGiven']);
  });

  it.each(['poll', 'ping'] as const)(
    'leaves a %s request to the token endpoint, without reading its stream',
    async (mode) => {
      const { streamId } = await approvedRequest(mode);
      const consent = await recorded(streamId, 'ConsentGiven');
      const reads = jest.spyOn(store, 'readStream');
      try {
        await consumer.onAuthRequestEvents(new EventBatch([consent]));
        expect(reads).not.toHaveBeenCalled();
      } finally {
        reads.mockRestore();
      }

      expect((await streamEvents(streamId)).map((event) => event.type)).toEqual(['AuthRequested', 'ConsentGiven']);
    },
  );

  it('mints on ConsentGiven only, not when a push request is made', async () => {
    const { streamId } = await approvedRequest('push');

    await consumer.onAuthRequestEvents(new EventBatch([await recorded(streamId, 'AuthRequested')]));

    expect(await tokensIssued(streamId)).toEqual([]);
  });
});
