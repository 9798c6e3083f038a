import { type AuthRequestState, foldAuthRequest } from '@backchannel/auth-request';
import type { AuthRequestEvent } from '@backchannel/events';
import { request } from '../channels/requested-authentication.fixture.js';
import { deviceNotificationOwed, expiredWhileRetrying, followUp } from './device-notification-plan.js';

const metadata = { correlationId: 'c', actor: 'test', occurredAt: request.requestedAt };
const requested: AuthRequestEvent = { eventId: 'e1', type: 'AuthRequested', schemaVersion: 2, data: request, metadata };
const before = new Date('2026-11-21T10:01:00.000Z');
const expiresAt = new Date(request.expiresAt);

function stateAfter(...events: AuthRequestEvent[]): AuthRequestState {
  return foldAuthRequest([requested, ...events]);
}

describe('deviceNotificationOwed', () => {
  it('is owed to a device of an open request that nothing was recorded for', () => {
    expect(deviceNotificationOwed(stateAfter(), 'dev_1', before)).toBe(true);
  });

  it('is not owed once the device was notified or given up on, whatever the channel', () => {
    const notified: AuthRequestEvent = {
      eventId: 'e2',
      type: 'UserNotified',
      schemaVersion: 1,
      data: { requestId: 'req_1', subject: 'alice', channel: 'web-push', deviceId: 'dev_1' },
      metadata,
    };
    const failed: AuthRequestEvent = {
      eventId: 'e3',
      type: 'NotificationFailed',
      schemaVersion: 1,
      data: {
        requestId: 'req_1',
        subject: 'alice',
        channel: 'webhook',
        deviceId: 'dev_2',
        reason: 'rejected',
        attempts: 1,
        detail: 'x',
      },
      metadata,
    };
    const state = stateAfter(notified, failed);

    expect(deviceNotificationOwed(state, 'dev_1', before)).toBe(false);
    expect(deviceNotificationOwed(state, 'dev_2', before)).toBe(false);
    expect(deviceNotificationOwed(state, 'dev_3', before)).toBe(true);
  });

  it('is not owed for a decided, expired or unknown request', () => {
    const denied: AuthRequestEvent = {
      eventId: 'e4',
      type: 'ConsentDenied',
      schemaVersion: 2,
      data: { requestId: 'req_1', subject: 'alice', deviceId: 'dev_9', reason: 'user_denied' },
      metadata,
    };
    expect(deviceNotificationOwed(stateAfter(denied), 'dev_1', before)).toBe(false);
    expect(deviceNotificationOwed(stateAfter(), 'dev_1', expiresAt)).toBe(false);
    expect(deviceNotificationOwed(foldAuthRequest([]), 'dev_1', before)).toBe(false);
  });
});

describe('followUp', () => {
  it('records a delivery and a permanent refusal at once', () => {
    expect(followUp({ kind: 'delivered' }, before, expiresAt, 100)).toEqual({ action: 'notified' });
    expect(followUp({ kind: 'rejected', detail: 'gone' }, before, expiresAt, 100)).toEqual({
      action: 'failed',
      reason: 'rejected',
      detail: 'gone',
    });
    expect(followUp({ kind: 'refused_address', detail: 'loopback' }, before, expiresAt, 100)).toEqual({
      action: 'failed',
      reason: 'refused_address',
      detail: 'loopback',
    });
  });

  it('retries a transient failure after the delay while the request lasts', () => {
    expect(followUp({ kind: 'retryable', detail: '503' }, before, expiresAt, 1_500)).toEqual({
      action: 'retry',
      at: new Date(before.getTime() + 1_500),
      lastError: '503',
    });
  });

  it('gives up when the next attempt would come at or after the expiry', () => {
    const lastMoment = new Date(expiresAt.getTime() - 1_000);
    expect(followUp({ kind: 'retryable', detail: 'ECONNREFUSED' }, lastMoment, expiresAt, 1_000)).toEqual({
      action: 'failed',
      reason: 'retries_exhausted',
      detail: 'ECONNREFUSED',
    });
  });

  it('keeps details short', () => {
    const next = followUp({ kind: 'rejected', detail: 'x'.repeat(500) }, before, expiresAt, 100);
    expect(next.action === 'failed' && next.detail.length).toBe(200);
  });
});

describe('expiredWhileRetrying', () => {
  const afterExpiry = new Date(expiresAt.getTime() + 1_000);

  it('gives up on a device that failed before and is claimed again after expiry', () => {
    expect(expiredWhileRetrying(stateAfter(), 'device-1', afterExpiry, 3)).toBe(true);
  });

  it('stays silent for a device never tried, and before expiry', () => {
    expect(expiredWhileRetrying(stateAfter(), 'device-1', afterExpiry, 1)).toBe(false);
    expect(expiredWhileRetrying(stateAfter(), 'device-1', before, 3)).toBe(false);
  });
});
