import { randomBytes } from 'node:crypto';
import { EventBatch } from '@backchannel/messaging';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import { type TestingModule } from '@nestjs/testing';
import { type AuthRequestCommand, authRequestDecider } from '@backchannel/auth-request';
import { type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, ShreddablePayloads } from '@backchannel/crypto';
import { EgressHttpClient, type HttpPostOutcome } from '@backchannel/egress';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import {
  type AuthRequestEvent,
  type NotificationSecrets,
  type PushedTokens,
  type RecordedEvent,
  type TokenDeliveryMode,
  authRequestStreamId,
} from '@backchannel/events';
import {
  type HttpsReceiver,
  type ReceivedRequest,
  type ReceiverReply,
  startHttpsReceiver,
  testConfig,
  featureTestingModule,
} from '@backchannel/testing';
import { DataSource } from 'typeorm';
import { DeliveryJobs, DeliveryWorker } from '@backchannel/delivery';
import { PingDeliveryModule } from '../ping-delivery.module.js';
import { ClientNotificationConsumer, PING_DELIVERY_CONSUMER } from './client-notification.consumer.js';
import { PUSH_ERROR_DESCRIPTIONS } from './notification-payload.js';

const OUTCOME_TYPES = new Set(['ClientNotified', 'TokensPushed', 'ClientNotificationFailed']);
const LEASE_SECONDS = 2;
const TIMEOUT_MS = 500;

/** Every log line of every app under test, to check that no secret is ever written. */
const logLines: string[] = [];
const recordingLogger: LoggerService = {
  log: (message: unknown) => void logLines.push(String(message)),
  error: (message: unknown) => void logLines.push(String(message)),
  warn: (message: unknown) => void logLines.push(String(message)),
  debug: (message: unknown) => void logLines.push(String(message)),
  verbose: (message: unknown) => void logLines.push(String(message)),
};
/** Every auth_req_id, notification token and access token the tests handed out. */
const secrets: string[] = [];

/**
 * ping-delivery on the real PostgreSQL, calling a real HTTPS receiver through the real egress
 * client: events are appended to real streams, read back and fed to the consumer as the
 * transports would deliver them, and the worker started with the app does the rest.
 */
describe('ping-delivery', () => {
  let receiver: HttpsReceiver;
  let caDir: string;
  let config: BackchannelConfig;
  let app: TestingModule;
  let store: PostgresEventStore;
  let sealer: PayloadSealer;
  let dataSource: DataSource;
  /** Replies by path, so each test scripts its own endpoint. */
  const scripts = new Map<string, ReceiverReply[]>();

  function configWith(overrides: NodeJS.ProcessEnv = {}): BackchannelConfig {
    return testConfig({
      CLIENT_NOTIFICATION_CA_FILE: join(caDir, 'receiver-ca.pem'),
      CLIENT_NOTIFICATION_TIMEOUT_MS: String(TIMEOUT_MS),
      CLIENT_NOTIFICATION_RETRY_INITIAL_MS: '50',
      CLIENT_NOTIFICATION_RETRY_MAX_MS: '200',
      CLIENT_NOTIFICATION_LEASE_SECONDS: String(LEASE_SECONDS),
      CLIENT_NOTIFICATION_EXPIRY_GRACE_SECONDS: '5',
      CLIENT_NOTIFICATION_POLL_MS: '50',
      ...overrides,
    });
  }

  async function startApp(appConfig: BackchannelConfig, name: string): Promise<TestingModule> {
    const started = await featureTestingModule(PingDeliveryModule, appConfig, name).compile();
    started.useLogger(recordingLogger);
    await started.init();
    return started;
  }

  beforeAll(async () => {
    receiver = await startHttpsReceiver({
      responder: (request) => scripts.get(request.path)?.shift() ?? { status: 204 },
    });
    caDir = await mkdtemp(join(tmpdir(), 'ping-delivery-int-spec-'));
    await receiver.writeCaFile(caDir);
    config = configWith();
    app = await startApp(config, 'ping-delivery-int-spec');
    store = app.get(PostgresEventStore);
    sealer = app.get(PayloadSealer);
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  interface TestRequest {
    authReqId: string;
    streamId: string;
    requestId: string;
    notificationToken: string;
    /** The receiver path standing for this client's notification endpoint. */
    path: string;
    clientId: string;
  }

  const metadata = () => ({ now: new Date().toISOString(), correlationId: 'ping-delivery-int-spec', actor: 'test' });

  async function run(request: TestRequest, command: AuthRequestCommand): Promise<void> {
    const result = await handleCommand(store, request.streamId, authRequestDecider, command);
    expect(result.outcome).toBe('accepted');
  }

  /** A request in its own stream for a client in `mode`, whose endpoint the receiver answers with `replies` first. */
  async function requestAuthentication(
    mode: TokenDeliveryMode,
    { lifetimeMs = 60_000, replies = [] as ReceiverReply[], secretsBoundTo = '' } = {},
  ): Promise<TestRequest> {
    const authReqId = randomBytes(32).toString('base64url');
    const notificationToken = randomBytes(24).toString('base64url');
    secrets.push(authReqId, notificationToken);
    const streamId = authRequestStreamId(authReqId);
    const path = `/cb/${randomBytes(8).toString('hex')}`;
    scripts.set(path, [...replies]);
    const request = {
      authReqId,
      streamId,
      requestId: `req_${randomBytes(8).toString('hex')}`,
      notificationToken,
      path,
      clientId: `client-${mode}`,
    };
    const secretsOfRequest: NotificationSecrets = { authReqId, clientNotificationToken: notificationToken };
    await run(request, {
      type: 'RequestAuthentication',
      data: {
        requestId: request.requestId,
        clientId: request.clientId,
        clientName: 'ping-delivery int-spec client',
        subject: 'ping-delivery-user',
        hintKind: 'login_hint',
        scope: ['openid'],
        acrValues: [],
        bindingMessage: null,
        deliveryMode: mode,
        pollInterval: 5,
        clientNotification:
          mode === 'poll'
            ? null
            : {
                endpoint: receiver.url(path),
                sealedSecrets: await sealer.seal(secretsOfRequest, secretsBoundTo || streamId),
              },
        expiresAt: new Date(Date.now() + lifetimeMs).toISOString(),
      },
      metadata: metadata(),
    });
    return request;
  }

  const decision = { subject: 'ping-delivery-user', deviceId: 'dev_ping_delivery' };
  const approve = (request: TestRequest) => run(request, { type: 'GiveConsent', data: decision, metadata: metadata() });
  const deny = (request: TestRequest) => run(request, { type: 'DenyConsent', data: decision, metadata: metadata() });

  async function issueTokens(request: TestRequest): Promise<PushedTokens> {
    const tokens: PushedTokens = {
      access_token: randomBytes(32).toString('base64url'),
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: `eyJhbGciOiJFUzI1NiJ9.${randomBytes(24).toString('base64url')}.signature`,
      scope: 'openid',
    };
    secrets.push(tokens.access_token, tokens.id_token);
    await run(request, {
      type: 'IssueTokens',
      data: {
        clientId: request.clientId,
        accessTokenId: `at_${randomBytes(8).toString('hex')}`,
        idTokenId: `id_${randomBytes(8).toString('hex')}`,
        accessTokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        sealedTokens: await app.get(ShreddablePayloads).seal(tokens, request.streamId, new Date(Date.now() + 60_000)),
      },
      metadata: metadata(),
    });
    return tokens;
  }

  async function streamEvents(request: TestRequest): Promise<RecordedEvent<AuthRequestEvent>[]> {
    return (await store.readStream<AuthRequestEvent>(request.streamId)).events;
  }

  /** The events of its types, as the transports hand them to the consumer. */
  function consumed(events: RecordedEvent<AuthRequestEvent>[]) {
    const types: readonly string[] = PING_DELIVERY_CONSUMER.eventTypes;
    return events.filter((event) => types.includes(event.type)) as Parameters<
      ClientNotificationConsumer['onAuthRequestEvents']
    >[0]['events'][number][];
  }

  /** Reads the stream back and hands `consumer` every event of its types it has not seen (as Kafka or the embedded transport would). */
  async function deliverEvents(request: TestRequest, fromVersion = 0, consumer = app.get(ClientNotificationConsumer)) {
    const events = consumed((await streamEvents(request)).filter((event) => event.streamVersion > fromVersion));
    for (const event of events) await consumer.onAuthRequestEvents(new EventBatch([event]));
    return events;
  }

  async function waitForOutcome(request: TestRequest, timeoutMs = 10_000): Promise<RecordedEvent<AuthRequestEvent>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const outcomes = (await streamEvents(request)).filter((event) => OUTCOME_TYPES.has(event.type));
      if (outcomes.length > 0) {
        expect(outcomes).toHaveLength(1);
        return outcomes[0]!;
      }
      if (Date.now() > deadline) throw new Error(`no notification outcome for ${request.requestId} in ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  const requestsTo = (request: TestRequest): ReceivedRequest[] =>
    receiver.requests.filter((received) => received.path === request.path);

  async function jobOf(request: TestRequest) {
    const rows: { attempts: number; done_at: Date | null; lease_until: Date | null; last_error: string | null }[] =
      await dataSource.query(
        `SELECT attempts, done_at, lease_until, last_error FROM delivery_jobs
          WHERE queue = 'client-notification' AND stream_id = $1`,
        [request.streamId],
      );
    return rows[0] ?? null;
  }

  /** A few poll intervals: long enough for a worker to act on anything due. */
  const settle = () => sleep(400);

  describe('ping', () => {
    it('POSTs exactly {"auth_req_id"} with the bearer token once the user approves', async () => {
      const request = await requestAuthentication('ping');
      await deliverEvents(request);
      await settle();
      expect(requestsTo(request)).toEqual([]);

      await approve(request);
      await deliverEvents(request, 1);

      const outcome = await waitForOutcome(request);
      expect(outcome).toMatchObject({
        type: 'ClientNotified',
        data: { requestId: request.requestId, kind: 'ping', error: null, httpStatus: 204, attempts: 1 },
        metadata: { actor: 'system:ping-delivery', correlationId: 'ping-delivery-int-spec' },
      });
      const [received] = requestsTo(request);
      expect(received).toMatchObject({ method: 'POST', body: JSON.stringify({ auth_req_id: request.authReqId }) });
      expect(received!.headers['authorization']).toBe(`Bearer ${request.notificationToken}`);
      expect(received!.headers['content-type']).toMatch(/^application\/json\b/);
      expect(await jobOf(request)).toMatchObject({ attempts: 1, done_at: expect.any(Date), lease_until: null });
    });

    it('pings after a denial too', async () => {
      const request = await requestAuthentication('ping');
      await deny(request);
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({ type: 'ClientNotified', data: { kind: 'ping' } });
      expect(requestsTo(request).map((received) => received.json)).toEqual([{ auth_req_id: request.authReqId }]);
    });

    it('pings once however often the events are delivered', async () => {
      const request = await requestAuthentication('ping');
      await approve(request);
      const events = await deliverEvents(request);
      const consumer = app.get(ClientNotificationConsumer);
      await Promise.all(
        events.flatMap((event) => [
          consumer.onAuthRequestEvents(new EventBatch([event])),
          consumer.onAuthRequestEvents(new EventBatch([event])),
        ]),
      );

      await waitForOutcome(request);
      await deliverEvents(request);
      await settle();
      expect(requestsTo(request)).toHaveLength(1);
      expect((await streamEvents(request)).filter((event) => OUTCOME_TYPES.has(event.type))).toHaveLength(1);
    });

    it('handles a batch of several requests in one go: pings the approved one, schedules the other', async () => {
      const [approved, waiting, poll] = [
        await requestAuthentication('ping'),
        await requestAuthentication('ping'),
        await requestAuthentication('poll'),
      ];
      await approve(approved);
      const all = consumed([
        ...(await streamEvents(approved)),
        ...(await streamEvents(waiting)),
        ...(await streamEvents(poll)),
      ]).sort((a, b) => Number(a.globalPosition) - Number(b.globalPosition));
      const batch = new EventBatch(all);
      await app.get(ClientNotificationConsumer).onAuthRequestEvents(batch);

      expect(all.every((event) => batch.isDone(event))).toBe(true);
      expect(await waitForOutcome(approved)).toMatchObject({ type: 'ClientNotified', data: { kind: 'ping' } });
      expect(await jobOf(waiting)).toMatchObject({ attempts: 0, done_at: null });
      expect(await jobOf(poll)).toBeNull();
      await settle();
      expect(requestsTo(waiting)).toEqual([]);
    });

    it('does not retry a 401 and records the failure', async () => {
      const request = await requestAuthentication('ping', { replies: [{ status: 401 }] });
      await approve(request);
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({
        type: 'ClientNotificationFailed',
        data: { kind: 'ping', reason: 'client_error', httpStatus: 401, attempts: 1 },
      });
      await settle();
      expect(requestsTo(request)).toHaveLength(1);
    });

    it('retries a 500 and records the delivery that followed', async () => {
      const request = await requestAuthentication('ping', { replies: [{ status: 500 }, { status: 204 }] });
      await approve(request);
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({
        type: 'ClientNotified',
        data: { kind: 'ping', httpStatus: 204, attempts: 2 },
      });
      expect(requestsTo(request)).toHaveLength(2);
    });

    it('does not follow a redirect', async () => {
      const request = await requestAuthentication('ping', {
        replies: [{ status: 302, headers: { location: receiver.url('/redirected') } }],
      });
      await approve(request);
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({
        type: 'ClientNotificationFailed',
        data: { reason: 'redirect', httpStatus: 302, attempts: 1 },
      });
      await settle();
      expect(requestsTo(request)).toHaveLength(1);
      expect(receiver.requests.filter((received) => received.path === '/redirected')).toEqual([]);
    });

    it('gives up on a slow endpoint after the timeout and delivers on the next attempt', async () => {
      const request = await requestAuthentication('ping', { replies: [{ status: 204, delayMs: TIMEOUT_MS * 3 }] });
      await approve(request);
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({ type: 'ClientNotified', data: { attempts: 2 } });
      const [slow, next] = requestsTo(request);
      expect(next!.receivedAt - slow!.receivedAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    });

    it('finishes a job whose outcome is already recorded without calling the client', async () => {
      const request = await requestAuthentication('ping');
      await deliverEvents(request);
      await approve(request);
      await run(request, {
        type: 'RecordClientNotification',
        data: { notification: { kind: 'ping' }, result: { delivered: true, httpStatus: 200, attempts: 1 } },
        metadata: metadata(),
      });
      await deliverEvents(request, 1);

      await settle();
      expect((await jobOf(request))?.done_at).toEqual(expect.any(Date));
      expect(requestsTo(request)).toEqual([]);
    });

    it('keeps retrying without calling the client while the secrets do not open', async () => {
      // sealed to another stream: what a wrong key-encryption key looks like too
      const request = await requestAuthentication('ping', { secretsBoundTo: authRequestStreamId('another') });
      await approve(request);
      await deliverEvents(request);
      try {
        for (const deadline = Date.now() + 5_000; ((await jobOf(request))?.attempts ?? 0) < 3;) {
          if (Date.now() > deadline) throw new Error('the job was not retried');
          await sleep(25);
        }
        expect(await jobOf(request)).toMatchObject({
          done_at: null,
          last_error: expect.stringMatching(/^SealedPayloadError: /),
        });
        expect(requestsTo(request)).toEqual([]);
        expect((await streamEvents(request)).filter((event) => OUTCOME_TYPES.has(event.type))).toEqual([]);
        const logged = logLines.filter((line) => line.includes(request.requestId));
        expect(logged.some((line) => line.includes('SealedPayloadError'))).toBe(true);
      } finally {
        await app
          .get(DeliveryJobs)
          .finish(
            { queue: 'client-notification', streamId: request.streamId, recipient: request.clientId },
            new Date(),
          );
      }
    });
  });

  describe('push', () => {
    it('pushes the tokens with the auth_req_id once they are issued', async () => {
      const request = await requestAuthentication('push');
      await approve(request);
      await deliverEvents(request);
      await settle();
      expect(requestsTo(request)).toEqual([]);

      const tokens = await issueTokens(request);
      await deliverEvents(request, 2);

      expect(await waitForOutcome(request)).toMatchObject({
        type: 'TokensPushed',
        data: { requestId: request.requestId, httpStatus: 204, attempts: 1 },
      });
      const [received] = requestsTo(request);
      expect(received!.json).toEqual({ auth_req_id: request.authReqId, ...tokens });
      expect(received!.headers['authorization']).toBe(`Bearer ${request.notificationToken}`);
      // pushed, the tokens are crypto-shredded: the event keeps its sealed copy, which opens no more
      const issued = (await streamEvents(request)).find((event) => event.type === 'TokensIssued')!;
      const sealedTokens = (issued.data as { sealedTokens: string }).sealedTokens;
      await expect(app.get(ShreddablePayloads).open(sealedTokens, request.streamId)).rejects.toThrow(
        'the sealed value was shredded',
      );
    });

    it('pushes access_denied after a denial', async () => {
      const request = await requestAuthentication('push');
      await deny(request);
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({
        type: 'ClientNotified',
        data: { kind: 'push_error', error: 'access_denied', attempts: 1 },
      });
      expect(requestsTo(request).map((received) => received.json)).toEqual([
        {
          auth_req_id: request.authReqId,
          error: 'access_denied',
          error_description: PUSH_ERROR_DESCRIPTIONS.access_denied,
        },
      ]);
    });

    it('pushes expired_token when the request expires unanswered', async () => {
      const request = await requestAuthentication('push', { lifetimeMs: 700 });
      await deliverEvents(request);

      expect(await waitForOutcome(request)).toMatchObject({
        type: 'ClientNotified',
        data: { kind: 'push_error', error: 'expired_token' },
      });
      const [received] = requestsTo(request);
      expect(received!.json).toEqual({
        auth_req_id: request.authReqId,
        error: 'expired_token',
        error_description: PUSH_ERROR_DESCRIPTIONS.expired_token,
      });
      const requested = (await streamEvents(request))[0]!;
      expect(received!.receivedAt).toBeGreaterThanOrEqual(
        Date.parse((requested.data as { expiresAt: string }).expiresAt),
      );
    });
  });

  it('never schedules anything for a poll client', async () => {
    const request = await requestAuthentication('poll');
    await approve(request);
    await deliverEvents(request);
    await settle();

    expect(await jobOf(request)).toBeNull();
    expect(requestsTo(request)).toEqual([]);
  });

  describe('with the main worker stopped', () => {
    let worker: DeliveryWorker<HttpPostOutcome>;

    beforeEach(async () => {
      worker = app.get<DeliveryWorker<HttpPostOutcome>>(DeliveryWorker);
      await worker.stop();
    });

    afterEach(() => {
      worker.start();
    });

    it('refuses an endpoint outside the allowed networks without calling it', async () => {
      const strict = await startApp(configWith({ CLIENT_NOTIFICATION_ALLOWED_NETWORKS: '' }), 'ping-delivery-strict');
      try {
        const request = await requestAuthentication('ping');
        await approve(request);
        await deliverEvents(request, 0, strict.get(ClientNotificationConsumer));

        expect(await waitForOutcome(request)).toMatchObject({
          type: 'ClientNotificationFailed',
          data: { reason: 'refused_address', httpStatus: null, attempts: 1 },
        });
        expect(requestsTo(request)).toEqual([]);
      } finally {
        await strict.close();
      }
    });

    it('sends again after a crash between the POST and its record, and records once', async () => {
      const request = await requestAuthentication('ping');
      await approve(request);
      await deliverEvents(request);
      const jobs = app.get(DeliveryJobs);

      // a worker claims the job and sends the ping, then dies before recording anything
      const claimed = await jobs.claimDue('client-notification', new Date(), LEASE_SECONDS * 1_000, 100);
      const job = claimed.find((candidate) => candidate.streamId === request.streamId)!;
      expect(job).toBeDefined();
      const sentOnce = await app.get(EgressHttpClient).postJson({
        url: receiver.url(request.path),
        bearerToken: request.notificationToken,
        body: { auth_req_id: request.authReqId },
      });
      expect(sentOnce).toEqual({ kind: 'answered', status: 204, retryAfter: null });
      worker.start();
      await settle();
      expect(requestsTo(request)).toHaveLength(1);

      expect(await waitForOutcome(request, LEASE_SECONDS * 1_000 + 5_000)).toMatchObject({
        type: 'ClientNotified',
        data: { kind: 'ping', attempts: 2 },
      });
      const [first, second] = requestsTo(request);
      expect(second!.receivedAt).toBeGreaterThanOrEqual(job.leaseUntil.getTime());
      expect(second!.body).toBe(first!.body);
      await settle();
      expect(requestsTo(request)).toHaveLength(2);
    });
  });

  it('lets one of two racing workers send a due notification', async () => {
    const other = await startApp(config, 'ping-delivery-other');
    try {
      const consumers = [app.get(ClientNotificationConsumer), other.get(ClientNotificationConsumer)];
      const request = await requestAuthentication('ping', { replies: [{ status: 204, delayMs: 200 }] });
      await approve(request);
      const [requested, approved] = consumed(await streamEvents(request));
      for (const consumer of consumers) await consumer.onAuthRequestEvents(new EventBatch([requested!]));
      // both processes get the approval and wake their workers together
      await Promise.all(consumers.map((consumer) => consumer.onAuthRequestEvents(new EventBatch([approved!]))));

      expect(await waitForOutcome(request)).toMatchObject({ type: 'ClientNotified', data: { attempts: 1 } });
      await settle();
      expect(requestsTo(request)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('never logs an auth_req_id, a notification token or a token', () => {
    expect(logLines.some((line) => line.includes('delivered'))).toBe(true);
    const leaks = logLines.filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);
  });
});
