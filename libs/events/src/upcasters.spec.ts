import type {
  AuthRequested,
  ConsentDenied,
  ConsentGiven,
  NotificationFailed,
  TokensIssued,
} from './auth-request.events.js';
import type { Event } from './envelope.js';
import { UnknownEventVersionError, upcast } from './upcasters.js';

const metadata = { correlationId: 'corr-1', actor: 'client:client-1', occurredAt: '2026-11-22T10:00:00.000Z' };

const authRequestedV1: Event = {
  eventId: 'e-1',
  type: 'AuthRequested',
  schemaVersion: 1,
  data: {
    requestId: 'req-1',
    clientId: 'client-1',
    clientName: 'Demo',
    subject: 'user-1',
    hintKind: 'login_hint',
    scope: ['openid'],
    acrValues: [],
    bindingMessage: null,
    deliveryMode: 'poll',
    pollInterval: 5,
    requestedAt: '2026-11-22T10:00:00.000Z',
    expiresAt: '2026-11-22T10:05:00.000Z',
  },
  metadata,
};

describe('upcast', () => {
  it('brings a v1 AuthRequested to v2 with no client to notify, keeping every other member', () => {
    const upcast2 = upcast<AuthRequested>(authRequestedV1);
    expect(upcast2).toEqual({
      ...authRequestedV1,
      schemaVersion: 2,
      data: { ...(authRequestedV1.data as object), clientNotification: null },
    });
  });

  it('brings a v1 TokensIssued to v2 with nothing sealed for a push', () => {
    const v1: Event = {
      eventId: 'e-2',
      type: 'TokensIssued',
      schemaVersion: 1,
      data: {
        clientId: 'client-1',
        subject: 'user-1',
        grantedScope: ['openid'],
        accessTokenId: 'at-1',
        idTokenId: 'id-1',
        accessTokenExpiresAt: '2026-11-22T10:10:00.000Z',
      },
      metadata,
    };
    expect(upcast<TokensIssued>(v1)).toMatchObject({
      schemaVersion: 2,
      data: { accessTokenId: 'at-1', sealedTokens: null },
    });
  });

  it('brings v1 consents to v2: no evidence for an approval, the same reason for a refusal', () => {
    const decision = { requestId: 'req-1', subject: 'user-1', deviceId: 'dev-1' };
    const given: Event = {
      eventId: 'e-3',
      type: 'ConsentGiven',
      schemaVersion: 1,
      data: { ...decision, grantedScope: ['openid'], authenticatedAt: '2026-11-22T10:01:00.000Z' },
      metadata,
    };
    const denied: Event = {
      eventId: 'e-4',
      type: 'ConsentDenied',
      schemaVersion: 1,
      data: { ...decision, reason: 'user_denied' },
      metadata,
    };
    expect(upcast<ConsentGiven>(given)).toEqual({
      ...given,
      schemaVersion: 2,
      data: { ...(given.data as object), evidence: null },
    });
    expect(upcast<ConsentDenied>(denied)).toEqual({ ...denied, schemaVersion: 2 });
  });

  it('brings a v1 NotificationFailed to v2 with no HTTP status, keeping its reason', () => {
    const v1: Event = {
      eventId: 'e-5',
      type: 'NotificationFailed',
      schemaVersion: 1,
      data: {
        requestId: 'req-1',
        subject: 'user-1',
        channel: 'webhook',
        deviceId: 'dev-1',
        reason: 'rejected',
        attempts: 2,
        detail: 'the webhook answered 410',
      },
      metadata,
    };
    expect(upcast<NotificationFailed>(v1)).toEqual({
      ...v1,
      schemaVersion: 2,
      data: { ...(v1.data as object), httpStatus: null },
    });
  });

  it('returns an event of the current version as it is', () => {
    const current = upcast<AuthRequested>(authRequestedV1);
    expect(upcast<AuthRequested>(current)).toEqual(current);
  });

  it('refuses versions newer than this code and unknown types', () => {
    expect(() => upcast({ ...authRequestedV1, schemaVersion: 3 })).toThrow(UnknownEventVersionError);
    expect(() => upcast({ ...authRequestedV1, type: 'SomethingElse' })).toThrow(UnknownEventVersionError);
  });
});
