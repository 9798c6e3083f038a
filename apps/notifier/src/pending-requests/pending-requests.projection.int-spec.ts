import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { PostgresEventStore } from '@backchannel/event-store';
import {
  type AuthRequestEvent,
  type AuthRequested,
  type RecordedEvent,
  authRequestStreamId,
} from '@backchannel/events';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { NotifierModule } from '../notifier.module.js';
import { PendingRequestsProjection } from './pending-requests.projection.js';
import { PendingRequestsRepository } from './pending-requests.repository.js';

const config = testConfig();

/** The notifier's consumer on the real PostgreSQL, fed the events the transports would deliver. */
describe('pending-requests projection', () => {
  let app: TestingModule;
  let projection: PendingRequestsProjection;
  let store: PostgresEventStore;
  let pendingRequests: PendingRequestsRepository;

  beforeAll(async () => {
    app = await featureTestingModule(NotifierModule, config, 'notifier-int-spec').compile();
    await app.init();
    projection = app.get(PendingRequestsProjection);
    store = app.get(PostgresEventStore);
    pendingRequests = app.get(PendingRequestsRepository);
  });

  afterAll(async () => {
    await app?.close();
  });

  async function appendAuthRequested(subject: string): Promise<RecordedEvent<AuthRequested>> {
    const now = new Date();
    const authReqId = randomBytes(32).toString('base64url');
    const { events } = await store.appendToStream<AuthRequestEvent>(authRequestStreamId(authReqId), 0, [
      {
        type: 'AuthRequested',
        schemaVersion: 2,
        data: {
          requestId: `req_${randomBytes(16).toString('base64url')}`,
          clientId: 'client-of-notifier-int-spec',
          clientName: 'Notifier int-spec client',
          subject,
          hintKind: 'login_hint',
          scope: ['openid', 'email'],
          acrValues: [],
          bindingMessage: 'Ünïcode <b>kept</b> 🧾',
          deliveryMode: 'poll',
          pollInterval: 5,
          clientNotification: null,
          requestedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + 60_000).toISOString(),
        },
        metadata: { correlationId: 'notifier-int-spec', actor: 'client:test', occurredAt: now.toISOString() },
      },
    ]);
    return events[0] as RecordedEvent<AuthRequested>;
  }

  it('lists the request for the user and notifies once, however often the event is delivered', async () => {
    const subject = `notifier-${randomBytes(6).toString('hex')}`;
    const requested = await appendAuthRequested(subject);

    await projection.onAuthRequestEvent(requested);
    await projection.onAuthRequestEvent(requested);
    await Promise.all([projection.onAuthRequestEvent(requested), projection.onAuthRequestEvent(requested)]);

    const listed = await pendingRequests.listPending(subject, new Date());
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      requestId: requested.data.requestId,
      streamId: requested.streamId,
      scope: ['openid', 'email'],
      bindingMessage: 'Ünïcode <b>kept</b> 🧾',
      status: 'pending',
    });
    const { events } = await store.readStream<AuthRequestEvent>(requested.streamId);
    const notified = events.filter((event) => event.type === 'UserNotified');
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({
      data: { requestId: requested.data.requestId, subject, channel: 'device-api', deviceId: null },
      metadata: { causationId: requested.eventId, correlationId: 'notifier-int-spec' },
    });
  });

  it('takes a decided request off the list when the decision event arrives', async () => {
    const subject = `notifier-${randomBytes(6).toString('hex')}`;
    const requested = await appendAuthRequested(subject);
    await projection.onAuthRequestEvent(requested);
    const now = new Date().toISOString();
    const { events } = await store.appendToStream<AuthRequestEvent>(requested.streamId, 'any', [
      {
        type: 'ConsentDenied',
        schemaVersion: 2,
        data: { requestId: requested.data.requestId, subject, deviceId: 'dev_x', reason: 'user_denied' },
        metadata: { correlationId: 'notifier-int-spec', actor: 'device:dev_x', occurredAt: now },
      },
    ]);
    await projection.onAuthRequestEvent(events[0]!);
    expect(await pendingRequests.listPending(subject, new Date())).toEqual([]);
    expect((await pendingRequests.find(requested.data.requestId))?.status).toBe('denied');
  });
});
