import { randomBytes, randomUUID } from 'node:crypto';
import { EventBatch } from '@backchannel/messaging';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { authRequestDecider } from '@backchannel/auth-request';
import { PayloadSealer } from '@backchannel/crypto';
import { DeliveryJobs, type DeliveryQueue, DeliveryWorker } from '@backchannel/delivery';
import { UserDirectory } from '@backchannel/directory';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { type AuthRequested, type ConsentGiven, type RecordedEvent, authRequestStreamId } from '@backchannel/events';
import {
  type HttpsReceiver,
  type ReceiverReply,
  recordRequest,
  startHttpsReceiver,
  testConfig,
} from '@backchannel/testing';
import { DeviceRegistration } from '../../apps/approvals/src/user-admin/device-registration.service.js';
import { createEmbeddedApplication } from '../../apps/embedded/src/embedded-app.js';
import { DeviceNotificationsModule } from '../../apps/notifier/src/device-notifications/device-notifications.module.js';
import { NewRequestConsumer } from '../../apps/notifier/src/device-notifications/new-request.consumer.js';
import { ClientNotificationConsumer } from '../../apps/ping-delivery/src/client-notifications/client-notification.consumer.js';
import { ClientNotificationsModule } from '../../apps/ping-delivery/src/client-notifications/client-notifications.module.js';

const RETRY_INITIAL_MS = 1_000;

/** What one attempt led to, in the words of the delivery pipeline. */
type Verdict =
  | { kind: 'delivered' }
  | { kind: 'failed'; reason: string; httpStatus: number | null }
  | { kind: 'retry'; lastError: string; atLeastMs: number };

/**
 * The one retry table, as both uses of the delivery pipeline live it on the real PostgreSQL
 * against a real HTTPS recipient: a ping to a client's notification endpoint (ping-delivery) and
 * a signed webhook to a device (the notifier). Each status is answered to one attempt of each,
 * and both must end the same way.
 */
describe('the delivery retry table, for client notifications and device channels alike', () => {
  let receiver: HttpsReceiver;
  let caDir: string;
  let app: NestFastifyApplication;
  const scripts = new Map<string, ReceiverReply[]>();
  const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1_000).toUTCString();

  beforeAll(async () => {
    receiver = await startHttpsReceiver({
      responder: (request) => scripts.get(request.path)?.shift() ?? { status: 204 },
    });
    caDir = await mkdtemp(join(tmpdir(), 'delivery-retry-table-'));
    const config = testConfig({
      CLIENT_NOTIFICATION_CA_FILE: await receiver.writeCaFile(caDir),
      CLIENT_NOTIFICATION_RETRY_INITIAL_MS: String(RETRY_INITIAL_MS),
      CLIENT_NOTIFICATION_RETRY_MAX_MS: String(RETRY_INITIAL_MS),
    });
    app = await createEmbeddedApplication(config, 'delivery-retry-table-int-spec');
    app.useLogger(false);
    await app.init();
    // the test works each job itself, one attempt at a time
    await app.select(DeviceNotificationsModule).get(DeliveryWorker, { strict: true }).stop();
    await app.select(ClientNotificationsModule).get(DeliveryWorker, { strict: true }).stop();
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  async function newUser(): Promise<string> {
    const subject = `retry-table-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub: subject });
    return subject;
  }

  /** Claims the job of `queue` for the stream and works it once, with that use's own worker. */
  async function attemptOnce(queue: DeliveryQueue, streamId: string): Promise<void> {
    const claimed = await app.get(DeliveryJobs).claimDue(queue, new Date(), 30_000, 1_000);
    const job = claimed.find((candidate) => candidate.streamId === streamId);
    if (!job) throw new Error(`no due ${queue} job for ${streamId}`);
    const module = queue === 'client-notification' ? ClientNotificationsModule : DeviceNotificationsModule;
    await app.select(module).get(DeliveryWorker, { strict: true }).work(job);
  }

  /** How the attempt ended: the outcome event, or the retry the job was given. */
  async function verdictOf(
    queue: DeliveryQueue,
    streamId: string,
    outcomeTypes: string[],
    before: number,
  ): Promise<Verdict> {
    const { events } = await app.get(PostgresEventStore).readStream(streamId);
    const outcome = events.find((event) => outcomeTypes.includes(event.type)) as
      (RecordedEvent & { data: { httpStatus: number | null; reason?: string } }) | undefined;
    if (outcome) {
      return outcome.data.reason === undefined
        ? { kind: 'delivered' }
        : { kind: 'failed', reason: outcome.data.reason, httpStatus: outcome.data.httpStatus ?? null };
    }
    const [job] = (await app
      .get(DataSource)
      .query(`SELECT next_attempt_at, last_error, done_at FROM delivery_jobs WHERE queue = $1 AND stream_id = $2`, [
        queue,
        streamId,
      ])) as { next_attempt_at: Date; last_error: string; done_at: Date | null }[];
    expect(job!.done_at).toBeNull();
    return { kind: 'retry', lastError: job!.last_error, atLeastMs: job!.next_attempt_at.getTime() - before };
  }

  /** A ping client's request, approved: its job is due. The receiver answers its endpoint with `reply`. */
  async function pingAttempt(reply: ReceiverReply): Promise<Verdict> {
    const path = `/ping/${randomBytes(6).toString('hex')}`;
    scripts.set(path, [reply]);
    const subject = await newUser();
    const authReqId = randomBytes(32).toString('base64url');
    const streamId = authRequestStreamId(authReqId);
    const sealedSecrets = await app
      .get(PayloadSealer)
      .seal({ authReqId, clientNotificationToken: randomBytes(16).toString('base64url') }, streamId);
    const requested = await recordRequest(
      app,
      subject,
      { deliveryMode: 'ping', clientNotification: { endpoint: receiver.url(path), sealedSecrets } },
      authReqId,
    );
    const consumer = app.get(ClientNotificationConsumer);
    await consumer.onAuthRequestEvents(new EventBatch([requested]));
    const approved = await handleCommand(app.get(PostgresEventStore), streamId, authRequestDecider, {
      type: 'GiveConsent',
      data: { subject, deviceId: 'dev_elsewhere' },
      metadata: { now: new Date().toISOString(), correlationId: 'retry-table', actor: 'test' },
    });
    if (approved.outcome !== 'accepted') throw new Error('not approved');
    await consumer.onAuthRequestEvents(new EventBatch([approved.events[0] as RecordedEvent<ConsentGiven>]));
    const before = Date.now();
    await attemptOnce('client-notification', streamId);
    return verdictOf('client-notification', streamId, ['ClientNotified', 'ClientNotificationFailed'], before);
  }

  /** A request for a user whose one device is a webhook the receiver answers with `reply`. */
  async function webhookAttempt(reply: ReceiverReply): Promise<Verdict> {
    const path = `/hook/${randomBytes(6).toString('hex')}`;
    scripts.set(path, [reply]);
    const subject = await newUser();
    await app
      .get(DeviceRegistration)
      .register(
        subject,
        { name: 'Bot', channel: 'webhook', webhook_url: receiver.url(path) },
        { actor: 'admin', correlationId: randomUUID(), now: new Date() },
      );
    const requested: RecordedEvent<AuthRequested> = await recordRequest(app, subject);
    await app.get(NewRequestConsumer).onAuthRequested(new EventBatch([requested]));
    const before = Date.now();
    await attemptOnce('device-notification', requested.streamId);
    return verdictOf('device-notification', requested.streamId, ['UserNotified', 'NotificationFailed'], before);
  }

  const retried = (status: number, atLeastMs = RETRY_INITIAL_MS / 2): Verdict => ({
    kind: 'retry',
    lastError: `answered ${status}`,
    atLeastMs,
  });

  it.each<[string, ReceiverReply, Verdict]>([
    ['200', { status: 200 }, { kind: 'delivered' }],
    ['204', { status: 204 }, { kind: 'delivered' }],
    [
      '302',
      { status: 302, headers: { location: 'https://elsewhere.test/' } },
      { kind: 'failed', reason: 'redirect', httpStatus: 302 },
    ],
    ['400', { status: 400 }, { kind: 'failed', reason: 'client_error', httpStatus: 400 }],
    ['401', { status: 401 }, { kind: 'failed', reason: 'client_error', httpStatus: 401 }],
    ['410', { status: 410 }, { kind: 'failed', reason: 'client_error', httpStatus: 410 }],
    ['408', { status: 408 }, retried(408)],
    ['425', { status: 425 }, retried(425)],
    ['429', { status: 429 }, retried(429)],
    ['500', { status: 500 }, retried(500)],
    ['502', { status: 502 }, retried(502)],
    ['429 Retry-After: 30', { status: 429, headers: { 'retry-after': '30' } }, retried(429, 29_000)],
    ['503 Retry-After in 40 s', { status: 503, headers: { 'retry-after': inSeconds(40) } }, retried(503, 30_000)],
  ])('answered %s: both end the same way', async (_status, reply, expected) => {
    const verdicts = { ping: await pingAttempt(reply), webhook: await webhookAttempt(reply) };
    for (const verdict of Object.values(verdicts)) {
      if (expected.kind === 'retry' && verdict.kind === 'retry') {
        expect(verdict.lastError).toBe(expected.lastError);
        expect(verdict.atLeastMs).toBeGreaterThanOrEqual(expected.atLeastMs);
      } else {
        expect(verdict).toEqual(expected);
      }
    }
  });
});
