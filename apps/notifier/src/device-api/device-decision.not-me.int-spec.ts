import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { PostgresEventStore } from '@backchannel/event-store';
import { type AuthRequestEvent, type AuthRequested, authRequestStreamId } from '@backchannel/events';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { NotifierModule } from '../notifier.module.js';
import { PendingRequestsRepository } from '../pending-requests/pending-requests.repository.js';
import { DeviceDecisionHandler } from './device-decision.handler.js';

const config = testConfig();

/** "This wasn't me" from the device API, on the real PostgreSQL: a denial recorded as such. */
describe('device decision "not_me"', () => {
  let app: TestingModule;
  let store: PostgresEventStore;
  let decisions: DeviceDecisionHandler;
  let pendingRequests: PendingRequestsRepository;

  beforeAll(async () => {
    app = await featureTestingModule(NotifierModule, config, 'not-me-int-spec').compile();
    await app.init();
    store = app.get(PostgresEventStore);
    decisions = app.get(DeviceDecisionHandler);
    pendingRequests = app.get(PendingRequestsRepository);
  });

  afterAll(async () => {
    await app?.close();
  });

  /** A new request for a new user, listed on the user's devices. */
  async function pendingRequest(): Promise<{ streamId: string; requestId: string; subject: string }> {
    const now = new Date();
    const subject = `not-me-${randomBytes(6).toString('hex')}`;
    const requestId = `req_${randomBytes(16).toString('base64url')}`;
    const { events } = await store.appendToStream<AuthRequestEvent>(
      authRequestStreamId(randomBytes(32).toString('base64url')),
      0,
      [
        {
          type: 'AuthRequested',
          schemaVersion: 2,
          data: {
            requestId,
            clientId: 'client-of-not-me-int-spec',
            clientName: 'Not-me int-spec client',
            subject,
            hintKind: 'login_hint',
            scope: ['openid'],
            acrValues: [],
            bindingMessage: null,
            deliveryMode: 'poll',
            pollInterval: 5,
            clientNotification: null,
            requestedAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + 60_000).toISOString(),
          },
          metadata: { correlationId: 'not-me-int-spec', actor: 'client:test', occurredAt: now.toISOString() },
        } satisfies Omit<AuthRequested, 'eventId'>,
      ],
    );
    await store.transaction((tx) => pendingRequests.apply(tx, events[0]!));
    return { streamId: events[0]!.streamId, requestId, subject };
  }

  it.each([
    ['not_me', 'not_recognized'],
    ['deny', 'user_denied'],
  ])('records "%s" as a denial with reason %s and takes the request off the list', async (decision, reason) => {
    const { streamId, requestId, subject } = await pendingRequest();

    await decisions.decide({ deviceId: 'dev_not_me', subject }, requestId, { decision }, 'not-me-int-spec');

    const { events } = await store.readStream<AuthRequestEvent>(streamId);
    expect(events.map((event) => event.type)).toEqual(['AuthRequested', 'ConsentDenied']);
    expect(events[1]).toMatchObject({ data: { requestId, subject, deviceId: 'dev_not_me', reason } });
    expect(await pendingRequests.listPending(subject, new Date())).toEqual([]);
    await expect(
      decisions.decide({ deviceId: 'dev_not_me', subject }, requestId, { decision: 'approve' }, 'not-me-int-spec'),
    ).rejects.toMatchObject({ status: 409 });
  });
});
