import { randomUUID } from 'node:crypto';
import { type RecordedEvent, authRequestStreamId } from '@backchannel/events';

/** A RecordedEvent for tests, with fresh ids unless given. */
export function recordedEventFixture(overrides: Partial<RecordedEvent> = {}): RecordedEvent {
  return {
    eventId: randomUUID(),
    type: 'UserNotified',
    schemaVersion: 1,
    data: { requestId: randomUUID(), subject: 'alice', channel: 'webhook', deviceId: null },
    metadata: { correlationId: randomUUID(), actor: 'system:notifier', occurredAt: '2026-11-21T10:00:00.000Z' },
    streamId: authRequestStreamId(randomUUID()),
    streamVersion: 2,
    globalPosition: '42',
    recordedAt: '2026-11-21T10:00:00.010Z',
    previousHash: 'aa',
    hash: 'bb',
    ...overrides,
  };
}
