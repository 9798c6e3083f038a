import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { BackchannelConfig } from '@backchannel/config';
import { DeviceChannelsRepository } from '@backchannel/device-channels';
import { PostgresEventStore } from '@backchannel/event-store';
import type { AuthRequestEvent, AuthRequested, RecordedEvent } from '@backchannel/events';
import { createHttpApplication, serviceRootModule } from '@backchannel/http';
import { MessagingModule, EventBatch } from '@backchannel/messaging';
import {
  type HttpsReceiver,
  type ReceivedRequest,
  type ReceiverReply,
  TEST_ADMIN_TOKEN,
  recordRequest,
  startHttpsReceiver,
  testConfig,
} from '@backchannel/testing';
import { ApprovalsModule } from '../../../apps/approvals/src/approvals.module.js';
import { NewRequestConsumer } from '../../../apps/notifier/src/device-notifications/new-request.consumer.js';
import { NotifierModule } from '../../../apps/notifier/src/notifier.module.js';

/** Where the Keycloak-compatible backend listens (KEYCLOAK_CHANNEL_URL of the app under test). */
export const KEYCLOAK_CHANNEL_PATH = '/keycloak/channel';

/** A browser's side of a Web Push subscription: the keys only it holds, to decrypt what arrives. */
export interface TestSubscription {
  deviceId: string;
  path: string;
  receiverKeys: ECDH;
  authSecret: string;
}

/**
 * The device side of Backchannel in one process, as its services run it (createHttpApplication:
 * the real error filter): the notifier, which sends, and approvals, where devices are registered
 * and answer. Listening on a local port, on the real PostgreSQL, with an HTTPS receiver standing for
 * push services, webhooks and a Keycloak authentication-channel backend. Replies are scripted by
 * path (and by login_hint for the Keycloak backend); the default is 201.
 */
export class DeviceChannelsFixture {
  readonly logLines: string[] = [];
  readonly scripts = new Map<string, ReceiverReply[]>();
  receiver!: HttpsReceiver;
  config!: BackchannelConfig;
  app!: NestFastifyApplication;
  baseUrl!: string;
  private caDir!: string;

  async start(): Promise<void> {
    this.receiver = await startHttpsReceiver({ responder: (request) => this.reply(request) });
    this.caDir = await mkdtemp(join(tmpdir(), 'device-channels-int-spec-'));
    this.config = testConfig({
      CLIENT_NOTIFICATION_CA_FILE: await this.receiver.writeCaFile(this.caDir),
      CLIENT_NOTIFICATION_TIMEOUT_MS: '1000',
      CLIENT_NOTIFICATION_RETRY_INITIAL_MS: '50',
      CLIENT_NOTIFICATION_RETRY_MAX_MS: '200',
      CLIENT_NOTIFICATION_LEASE_SECONDS: '3',
      CLIENT_NOTIFICATION_POLL_MS: '50',
      KEYCLOAK_CHANNEL_URL: this.receiver.url(KEYCLOAK_CHANNEL_PATH),
    });
    const root = serviceRootModule(
      this.config,
      'device-channels-int-spec',
      [NotifierModule, ApprovalsModule],
      [MessagingModule.forEmbedded()],
    );
    this.app = await createHttpApplication(root, this.config, 'notifier');
    this.app.useLogger(this.recordingLogger());
    await this.app.listen(0, '127.0.0.1');
    this.baseUrl = await this.app.getUrl();
  }

  async stop(): Promise<void> {
    await this.app?.close();
    await this.receiver?.close();
    if (this.caDir) await rm(this.caDir, { recursive: true, force: true });
  }

  /** A JSON call to the notifier over HTTP. */
  async call(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  }

  admin(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
    return this.call(path, body, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
  }

  /** A new user of the directory, with a username (what the Keycloak channel sends as login_hint). */
  async createUser(): Promise<{ subject: string; username: string }> {
    const subject = `channels-${randomBytes(6).toString('hex')}`;
    const username = `user-${randomBytes(6).toString('hex')}`;
    const created = await this.admin('/admin/v1/users', { sub: subject, username });
    if (created.status !== 201) throw new Error(`user not created: ${created.status}`);
    return { subject, username };
  }

  /** Registers a device through the admin API; fails the test unless it is created. */
  async registerDevice(
    subject: string,
    body: Record<string, unknown>,
  ): Promise<{ device_id: string; device_token: string; channel: string; webhook_secret?: string }> {
    const created = await this.admin(`/admin/v1/users/${subject}/devices`, { name: 'Test device', ...body });
    if (created.status !== 201)
      throw new Error(`device not created: ${created.status} ${JSON.stringify(created.json)}`);
    return created.json as { device_id: string; device_token: string; channel: string; webhook_secret?: string };
  }

  /** A device whose authenticator subscribed to Web Push at the receiver: P-256 keys and a 16-byte auth secret. */
  async webPushDevice(subject: string): Promise<TestSubscription> {
    const { device_id: deviceId } = await this.registerDevice(subject, {});
    const receiverKeys = createECDH('prime256v1');
    receiverKeys.generateKeys();
    const authSecret = randomBytes(16).toString('base64url');
    const path = `/push/${randomBytes(8).toString('hex')}`;
    await this.app.get(DeviceChannelsRepository).useWebPush(deviceId, {
      endpoint: this.receiver.url(path),
      keys: { p256dh: receiverKeys.getPublicKey().toString('base64url'), auth: authSecret },
    });
    return { deviceId, path, receiverKeys, authSecret };
  }

  /** A client's request for the user, in a stream of its own, as /bc-authorize records it. */
  requestAuthentication(subject: string, lifetimeMs = 60_000): Promise<RecordedEvent<AuthRequested>> {
    return recordRequest(this.app, subject, {
      clientId: 'client-of-channels-int-spec',
      clientName: 'Channels <int-spec> client',
      scope: ['openid', 'profile'],
      bindingMessage: 'W4SX 🧾',
      expiresAt: new Date(Date.now() + lifetimeMs).toISOString(),
    });
  }

  /** Delivers the event to the notifier's consumer, as a transport would (once per call). */
  deliver(event: RecordedEvent<AuthRequested>): Promise<void> {
    return this.app.get(NewRequestConsumer).onAuthRequested(new EventBatch([event]));
  }

  async streamEvents(streamId: string): Promise<RecordedEvent<AuthRequestEvent>[]> {
    return (await this.app.get(PostgresEventStore).readStream<AuthRequestEvent>(streamId)).events;
  }

  /** The first event of `type` in the stream (of `channel`, for device notifications), waited for. */
  async waitForEvent(
    streamId: string,
    type: AuthRequestEvent['type'],
    { channel, timeoutMs = 5_000 }: { channel?: string; timeoutMs?: number } = {},
  ): Promise<RecordedEvent<AuthRequestEvent>> {
    const wanted = (event: RecordedEvent<AuthRequestEvent>) =>
      event.type === type && (channel === undefined || (event.data as { channel?: string }).channel === channel);
    for (const deadline = Date.now() + timeoutMs; ; await sleep(25)) {
      const found = (await this.streamEvents(streamId)).find(wanted);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} in ${streamId} within ${timeoutMs} ms`);
    }
  }

  requestsTo(path: string): ReceivedRequest[] {
    return this.receiver.requests.filter((request) => request.path === path);
  }

  /** Lets the worker run a few polls (to show that nothing more happens). */
  settle(ms = 400): Promise<void> {
    return sleep(ms);
  }

  private reply(request: ReceivedRequest): ReceiverReply {
    const key =
      request.path === KEYCLOAK_CHANNEL_PATH
        ? `keycloak:${(request.json as { login_hint?: string }).login_hint}`
        : request.path;
    return this.scripts.get(key)?.shift() ?? { status: 201 };
  }

  private recordingLogger(): LoggerService {
    const record = (message: unknown) => void this.logLines.push(String(message));
    return { log: record, error: record, warn: record, debug: record, verbose: record };
  }
}
