import { type AuthRequestState, foldAuthRequest } from '@backchannel/auth-request';
import { type AuthRequestEvent, CURRENT_SCHEMA_VERSIONS, type TokenDeliveryMode } from '@backchannel/events';
import { notificationDeadline, planClientNotification } from './client-notification-plan.js';

const requestedAt = '2026-11-22T10:00:00.000Z';
const expiresAt = new Date('2026-11-22T10:05:00.000Z');
const during = new Date('2026-11-22T10:01:00.000Z');
const GRACE_MS = 60_000;
const afterExpiry = new Date(expiresAt.getTime() + 1_000);
const afterGrace = new Date(expiresAt.getTime() + GRACE_MS);

function event<Type extends AuthRequestEvent['type']>(
  type: Type,
  data: Extract<AuthRequestEvent, { type: Type }>['data'],
): AuthRequestEvent {
  const metadata = { correlationId: 'corr-1', actor: 'test', occurredAt: during.toISOString() };
  return {
    eventId: `${type}-1`,
    type,
    schemaVersion: CURRENT_SCHEMA_VERSIONS[type],
    data,
    metadata,
  } as AuthRequestEvent;
}

function requested(deliveryMode: TokenDeliveryMode): AuthRequestEvent {
  return event('AuthRequested', {
    requestId: 'request-1',
    clientId: 'client-1',
    clientName: 'Demo Bank',
    subject: 'user-1',
    hintKind: 'login_hint',
    scope: ['openid'],
    acrValues: [],
    bindingMessage: null,
    deliveryMode,
    pollInterval: 5,
    requestedAt,
    expiresAt: expiresAt.toISOString(),
    clientNotification:
      deliveryMode === 'poll' ? null : { endpoint: 'https://client.example/cb', sealedSecrets: 'sealed' },
  });
}

const decision = { requestId: 'request-1', subject: 'user-1', deviceId: 'device-1' };
const approved = event('ConsentGiven', {
  ...decision,
  grantedScope: ['openid'],
  authenticatedAt: requestedAt,
  evidence: null,
});
const denied = event('ConsentDenied', { ...decision, reason: 'user_denied' });
const issued = event('TokensIssued', {
  clientId: 'client-1',
  subject: 'user-1',
  grantedScope: ['openid'],
  accessTokenId: 'at-1',
  idTokenId: 'id-1',
  accessTokenExpiresAt: '2026-11-22T11:00:00.000Z',
  sealedTokens: 'sealed-tokens',
});
const pinged = event('ClientNotified', {
  requestId: 'request-1',
  clientId: 'client-1',
  kind: 'ping',
  error: null,
  httpStatus: 204,
  attempts: 1,
});

const stateOf = (...events: AuthRequestEvent[]): AuthRequestState => foldAuthRequest(events);

describe('planClientNotification', () => {
  describe('for a ping client', () => {
    it('waits for the expiry while the user has not answered', () => {
      expect(planClientNotification(stateOf(requested('ping')), during, GRACE_MS)).toEqual({
        action: 'wait',
        until: expiresAt,
      });
    });

    it.each([
      ['approval', approved],
      ['denial', denied],
    ])('sends the ping after an %s, retried until the expiry', (_, answer) => {
      expect(planClientNotification(stateOf(requested('ping'), answer), during, GRACE_MS)).toEqual({
        action: 'send',
        notification: { kind: 'ping' },
        deadline: expiresAt,
      });
    });

    it('waits out the grace period after an unanswered expiry, for a decision still on its way', () => {
      expect(planClientNotification(stateOf(requested('ping')), afterExpiry, GRACE_MS)).toEqual({
        action: 'wait',
        until: afterGrace,
      });
    });

    it('finishes once the grace period is over with nothing owed (no ping on expiry)', () => {
      expect(planClientNotification(stateOf(requested('ping')), afterGrace, GRACE_MS)).toEqual({
        action: 'finish',
        why: 'nothing_owed',
      });
    });

    it('finishes without sending when the outcome is already recorded (a crash after recording)', () => {
      expect(planClientNotification(stateOf(requested('ping'), approved, pinged), during, GRACE_MS)).toEqual({
        action: 'finish',
        why: 'already_recorded',
      });
    });
  });

  describe('for a push client', () => {
    it('waits for the tokens after an approval', () => {
      expect(planClientNotification(stateOf(requested('push'), approved), during, GRACE_MS)).toEqual({
        action: 'wait',
        until: expiresAt,
      });
    });

    it('sends the tokens once issued, retried until the expiry', () => {
      expect(planClientNotification(stateOf(requested('push'), approved, issued), during, GRACE_MS)).toEqual({
        action: 'send',
        notification: { kind: 'push_tokens' },
        deadline: expiresAt,
      });
    });

    it('sends access_denied after a denial, retried until the expiry', () => {
      expect(planClientNotification(stateOf(requested('push'), denied), during, GRACE_MS)).toEqual({
        action: 'send',
        notification: { kind: 'push_error', error: 'access_denied' },
        deadline: expiresAt,
      });
    });

    it('sends expired_token at expiry, retried through the grace period', () => {
      expect(planClientNotification(stateOf(requested('push')), afterExpiry, GRACE_MS)).toEqual({
        action: 'send',
        notification: { kind: 'push_error', error: 'expired_token' },
        deadline: afterGrace,
      });
    });

    it('sends transaction_failed when approved but never issued by the expiry', () => {
      expect(planClientNotification(stateOf(requested('push'), approved), afterExpiry, GRACE_MS)).toEqual({
        action: 'send',
        notification: { kind: 'push_error', error: 'transaction_failed' },
        deadline: afterGrace,
      });
    });
  });

  it('never sends to a poll client', () => {
    expect(planClientNotification(stateOf(requested('poll'), approved), during, GRACE_MS).action).toBe('wait');
    expect(planClientNotification(stateOf(requested('poll'), approved), afterGrace, GRACE_MS).action).toBe('finish');
  });

  it('finishes a job whose stream does not exist', () => {
    expect(planClientNotification(stateOf(), during, GRACE_MS)).toEqual({ action: 'finish', why: 'nothing_owed' });
  });
});

describe('notificationDeadline', () => {
  it('gives the errors that expiry causes the grace period, and nothing else', () => {
    const deadline = (notification: Parameters<typeof notificationDeadline>[0]) =>
      notificationDeadline(notification, expiresAt, GRACE_MS);
    expect(deadline({ kind: 'ping' })).toEqual(expiresAt);
    expect(deadline({ kind: 'push_tokens' })).toEqual(expiresAt);
    expect(deadline({ kind: 'push_error', error: 'access_denied' })).toEqual(expiresAt);
    expect(deadline({ kind: 'push_error', error: 'expired_token' })).toEqual(afterGrace);
    expect(deadline({ kind: 'push_error', error: 'transaction_failed' })).toEqual(afterGrace);
  });
});
