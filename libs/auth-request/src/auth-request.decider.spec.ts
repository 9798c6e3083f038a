import {
  type AuthRequestEvent,
  type AuthenticationEvidence,
  CURRENT_SCHEMA_VERSIONS,
  type NewEvent,
} from '@backchannel/events';
import { DeciderSpecification } from '@backchannel/testing';
import { authRequestDecider } from './auth-request.decider.js';
import type {
  AuthRequestCommand,
  AuthRequestRejectionCode,
  DenyConsent,
  GiveConsent,
  IssueTokens,
  RecordClientNotification,
  RecordNotificationFailed,
  RecordUserNotified,
  RequestAuthentication,
} from './auth-request.decisions.js';
import {
  CLIENT_NOTIFICATION_TRIGGERS,
  clientNotificationDue,
  deviceNotificationDue,
  foldAuthRequest,
  isExpired,
} from './auth-request.facts.js';

const requestedAt = '2026-11-22T10:00:00.000Z';
const during = '2026-11-22T10:01:00.000Z';
const expiresAt = '2026-11-22T10:05:00.000Z';
const afterExpiry = '2026-11-22T10:06:00.000Z';

const identity = { correlationId: 'corr-1', causationId: 'cause-1', actor: 'test' };

const requested = {
  requestId: 'request-1',
  clientId: 'client-1',
  clientName: 'Demo Bank',
  subject: 'user-1',
  hintKind: 'login_hint' as const,
  scope: ['openid', 'profile', 'email'],
  acrValues: [],
  bindingMessage: 'W4SCT',
  deliveryMode: 'poll' as const,
  pollInterval: 5,
  clientNotification: null,
  expiresAt,
};

function event<Type extends AuthRequestEvent['type']>(
  type: Type,
  data: Extract<AuthRequestEvent, { type: Type }>['data'],
  occurredAt = during,
): NewEvent<AuthRequestEvent> {
  const schemaVersion = CURRENT_SCHEMA_VERSIONS[type];
  return { type, schemaVersion, data, metadata: { ...identity, occurredAt } } as NewEvent<AuthRequestEvent>;
}

function command<C extends AuthRequestCommand>(type: C['type'], data: C['data'], now = during): C {
  return { type, data, metadata: { ...identity, now } } as C;
}

const authRequested = event('AuthRequested', { ...requested, requestedAt }, requestedAt);
const userNotifiedOn = (deviceId: string) =>
  event('UserNotified', { requestId: 'request-1', subject: 'user-1', channel: 'web-push', deviceId });
const userNotified = userNotifiedOn('device-1');
const consentGivenFor = (grantedScope: string[]) =>
  event('ConsentGiven', {
    requestId: 'request-1',
    subject: 'user-1',
    deviceId: 'device-1',
    grantedScope,
    authenticatedAt: during,
    evidence: null,
  });
const consentGiven = consentGivenFor(['openid', 'profile']);
const consentDenied = event('ConsentDenied', {
  requestId: 'request-1',
  subject: 'user-1',
  deviceId: 'device-1',
  reason: 'user_denied',
});
const tokensIssued = event('TokensIssued', {
  clientId: 'client-1',
  subject: 'user-1',
  grantedScope: ['openid', 'profile'],
  accessTokenId: 'at-1',
  idTokenId: 'id-1',
  accessTokenExpiresAt: '2026-11-22T11:01:00.000Z',
  sealedTokens: null,
});

const requestAuthentication = (now = requestedAt) =>
  command<RequestAuthentication>('RequestAuthentication', requested, now);
const recordUserNotified = (deviceId: string | null = 'device-1', now = during, channel = 'web-push') =>
  command<RecordUserNotified>('RecordUserNotified', { channel, deviceId }, now);
const giveConsent = (data: Partial<GiveConsent['data']> = {}, now = during) =>
  command<GiveConsent>('GiveConsent', { subject: 'user-1', deviceId: 'device-1', ...data }, now);
const denyConsent = (subject = 'user-1', now = during) =>
  command<DenyConsent>('DenyConsent', { subject, deviceId: 'device-1' }, now);
const issueTokens = (clientId = 'client-1', now = during, retryWindowSeconds?: number) =>
  command<IssueTokens>(
    'IssueTokens',
    {
      clientId,
      accessTokenId: 'at-1',
      idTokenId: 'id-1',
      accessTokenExpiresAt: '2026-11-22T11:01:00.000Z',
      sealedTokens: null,
      ...(retryWindowSeconds !== undefined && { retryWindowSeconds }),
    },
    now,
  );

const recordClientNotification = (
  notification: RecordClientNotification['data']['notification'],
  result: RecordClientNotification['data']['result'] = { delivered: true, httpStatus: 204, attempts: 1 },
  now = during,
) => command<RecordClientNotification>('RecordClientNotification', { notification, result }, now);
const recordPing = (result?: RecordClientNotification['data']['result']) =>
  recordClientNotification({ kind: 'ping' }, result);

const spec = DeciderSpecification.for(authRequestDecider);

describe('auth-request decider', () => {
  describe('when empty', () => {
    const given = spec.given([]);

    it('records the request, stamped with the command time', () => {
      given.when(requestAuthentication()).then([authRequested]);
    });

    it('copies the command identity into the event metadata, without a causation id when none is given', () => {
      const { causationId: _omitted, ...withoutCausation } = identity;
      const decision = authRequestDecider.decide(
        { ...requestAuthentication(), metadata: { ...withoutCausation, now: requestedAt } },
        authRequestDecider.initialState(),
      );
      expect(decision).toEqual({
        outcome: 'accepted',
        events: [{ ...authRequested, metadata: { ...withoutCausation, occurredAt: requestedAt } }],
      });
      expect(decision.outcome === 'accepted' && decision.events[0]!.metadata).not.toHaveProperty('causationId');
    });

    it('knows no request to notify, answer or redeem', () => {
      given.when(recordUserNotified()).thenRejects('not_found');
      given.when(giveConsent()).thenRejects('not_found');
      given.when(denyConsent()).thenRejects('not_found');
      given.when(issueTokens()).thenRejects('invalid_grant');
    });
  });

  describe('when pending', () => {
    const given = spec.given([authRequested]);

    it('refuses to record the request twice', () => {
      given.when(requestAuthentication(during)).thenRejects('already_exists');
    });

    it('records a notification of the user', () => {
      given.when(recordUserNotified()).then([userNotified]);
    });

    it('records a notification on a channel without device ids', () => {
      given
        .when(recordUserNotified(null, during, 'webhook'))
        .then([
          event('UserNotified', { requestId: 'request-1', subject: 'user-1', channel: 'webhook', deviceId: null }),
        ]);
    });

    it('treats a redelivered notification as a no-op, but records another device or channel', () => {
      spec.given([authRequested, userNotified]).when(recordUserNotified()).thenNothing();
      spec
        .given([authRequested, userNotified])
        .when(recordUserNotified('device-2'))
        .then([
          event('UserNotified', {
            requestId: 'request-1',
            subject: 'user-1',
            channel: 'web-push',
            deviceId: 'device-2',
          }),
        ]);
      spec
        .given([authRequested, userNotified])
        .when(recordUserNotified('device-1', during, 'email'))
        .then([
          event('UserNotified', { requestId: 'request-1', subject: 'user-1', channel: 'email', deviceId: 'device-1' }),
        ]);
    });

    it('refuses a notification at or after expiry', () => {
      given.when(recordUserNotified('device-1', expiresAt)).thenRejects('expired');
      given.when(recordUserNotified('device-1', afterExpiry)).thenRejects('expired');
    });

    it('records consent for every requested scope by default', () => {
      given.when(giveConsent()).then([consentGivenFor(requested.scope)]);
    });

    it('records consent for part of the scope, in requested order and without repeats', () => {
      given.when(giveConsent({ grantedScope: ['profile', 'openid', 'profile'] })).then([consentGiven]);
    });

    it.each([
      ['empty', []],
      ['without openid', ['profile']],
      ['with a scope that was not requested', ['openid', 'admin']],
    ])('refuses a granted scope that is %s', (_case, grantedScope) => {
      given.when(giveConsent({ grantedScope })).thenRejects('invalid_scope');
    });

    it("hides the request from another user's answer", () => {
      given.when(giveConsent({ subject: 'user-2' })).thenRejects('not_found');
      given.when(denyConsent('user-2')).thenRejects('not_found');
    });

    it('refuses an answer at or after expiry, so a late approval never leads to tokens', () => {
      given.when(giveConsent({}, expiresAt)).thenRejects('expired');
      given.when(giveConsent({}, afterExpiry)).thenRejects('expired');
      given.when(denyConsent('user-1', afterExpiry)).thenRejects('expired');
    });

    it('records a denial', () => {
      given.when(denyConsent()).then([consentDenied]);
    });

    it('tells the polling client to wait', () => {
      given.when(issueTokens()).thenRejects('authorization_pending');
    });

    it("refuses another client's redemption before telling it anything else", () => {
      given.when(issueTokens('client-2')).thenRejects('invalid_grant');
      given.when(issueTokens('client-2', afterExpiry)).thenRejects('invalid_grant');
    });

    it('answers expired_token after expiry', () => {
      given.when(issueTokens('client-1', expiresAt)).thenRejects('expired_token');
    });
  });

  describe('when approved', () => {
    const given = spec.given([authRequested, userNotified, consentGiven]);

    it('refuses to record the request again', () => {
      given.when(requestAuthentication(during)).thenRejects('already_exists');
    });

    it('records a delivery that raced the answer, and accepts a redelivered one as a no-op', () => {
      given.when(recordUserNotified('device-2')).then([userNotifiedOn('device-2')]);
      given.when(recordUserNotified()).thenNothing();
    });

    it('refuses a second answer', () => {
      given.when(giveConsent()).thenRejects('already_decided');
      given.when(denyConsent()).thenRejects('already_decided');
      given.when(denyConsent('user-2')).thenRejects('not_found');
    });

    it('issues tokens for the granted scope', () => {
      given.when(issueTokens()).then([tokensIssued]);
    });

    it("refuses another client's redemption", () => {
      given.when(issueTokens('client-2')).thenRejects('invalid_grant');
    });

    it('answers expired_token when the approved request expired before redemption', () => {
      given.when(issueTokens('client-1', afterExpiry)).thenRejects('expired_token');
    });
  });

  describe('when denied', () => {
    const given = spec.given([authRequested, consentDenied]);

    it('answers access_denied to the polling client', () => {
      given.when(issueTokens()).thenRejects('access_denied');
    });

    it('answers expired_token once expired, and invalid_grant to another client', () => {
      given.when(issueTokens('client-1', afterExpiry)).thenRejects('expired_token');
      given.when(issueTokens('client-2')).thenRejects('invalid_grant');
    });

    it('refuses a second answer, and records a delivery that raced the denial', () => {
      given.when(giveConsent()).thenRejects('already_decided');
      given.when(denyConsent()).thenRejects('already_decided');
      given.when(recordUserNotified()).then([userNotified]);
    });
  });

  describe('when issued', () => {
    const given = spec.given([authRequested, consentGiven, tokensIssued]);

    it('refuses a second redemption with invalid_grant, even after expiry', () => {
      given.when(issueTokens()).thenRejects('invalid_grant');
      given.when(issueTokens('client-1', afterExpiry)).thenRejects('invalid_grant');
    });

    describe('with a retry window (tokens issued at 10:01:00, a window of 60 s)', () => {
      it('accepts the same client again within it, recording nothing (it is answered what was kept)', () => {
        given.when(issueTokens('client-1', during, 60)).then([]);
        given.when(issueTokens('client-1', '2026-11-22T10:01:59.999Z', 60)).then([]);
      });

      it('refuses the same client at and after its end, and any other client within it', () => {
        given.when(issueTokens('client-1', '2026-11-22T10:02:00.000Z', 60)).thenRejects('invalid_grant');
        given.when(issueTokens('client-2', during, 60)).thenRejects('invalid_grant');
      });

      it('refuses a repeat with a window of 0, even on a clock behind the issuer', () => {
        given.when(issueTokens('client-1', requestedAt, 0)).thenRejects('invalid_grant');
      });
    });

    it('refuses answers, and records a delivery that raced the answer', () => {
      given.when(giveConsent()).thenRejects('already_decided');
      given.when(denyConsent()).thenRejects('already_decided');
      given.when(recordUserNotified()).then([userNotified]);
    });
  });

  it('gives every rejection a message that is a valid OAuth error_description', () => {
    const scenarios: [NewEvent<AuthRequestEvent>[], AuthRequestCommand][] = [
      [[authRequested], requestAuthentication()],
      [[], giveConsent()],
      [[authRequested], recordUserNotified('device-1', afterExpiry)],
      [[authRequested, consentDenied], giveConsent()],
      [[authRequested], giveConsent({}, afterExpiry)],
      [[authRequested], giveConsent({ grantedScope: [] })],
      [[], issueTokens()],
      [[authRequested], issueTokens('client-2')],
      [[authRequested, consentGiven, tokensIssued], issueTokens()],
      [[authRequested], issueTokens('client-1', afterExpiry)],
      [[authRequested, consentDenied], issueTokens()],
      [[authRequested], issueTokens()],
      [[authRequested, consentGiven], recordPing()],
    ];
    const codes = new Set<AuthRequestRejectionCode>();
    for (const [events, cmd] of scenarios) {
      const decision = authRequestDecider.decide(cmd, foldAuthRequest(events as AuthRequestEvent[]));
      if (decision.outcome !== 'rejected') throw new Error(`expected a rejection for ${cmd.type}`);
      expect(decision.rejection.message).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
      codes.add(decision.rejection.code);
    }
    expect(codes.size).toBe(10);
  });
});

describe('evolve', () => {
  const fold = (events: NewEvent<AuthRequestEvent>[]) =>
    foldAuthRequest(events.map((e, index) => ({ ...e, eventId: `e-${index}` }) as AuthRequestEvent));

  it('folds a stream into its state, keeping the request and every notification', () => {
    expect(fold([authRequested, userNotified, consentGiven, tokensIssued])).toEqual({
      status: 'Issued',
      request: { ...requested, requestedAt },
      notifications: [{ channel: 'web-push', deviceId: 'device-1', at: during }],
      consent: {
        subject: 'user-1',
        deviceId: 'device-1',
        grantedScope: ['openid', 'profile'],
        authenticatedAt: during,
        evidence: null,
      },
      failedNotifications: [],
      issuance: {
        accessTokenId: 'at-1',
        idTokenId: 'id-1',
        accessTokenExpiresAt: '2026-11-22T11:01:00.000Z',
        issuedAt: during,
        sealedTokens: null,
      },
      clientNotification: null,
    });
    expect(fold([authRequested, consentDenied])).toMatchObject({
      status: 'Denied',
      denial: { subject: 'user-1', deviceId: 'device-1', reason: 'user_denied', at: during },
    });
  });

  it('still records notifications after the decision', () => {
    expect(fold([authRequested, consentGiven, userNotified])).toMatchObject({
      status: 'Approved',
      notifications: [{ channel: 'web-push', deviceId: 'device-1', at: during }],
    });
  });

  it('ignores events that do not apply to the state', () => {
    expect(fold([userNotified, consentGiven, tokensIssued])).toEqual({ status: 'Empty' });
    expect(fold([authRequested, tokensIssued])).toMatchObject({ status: 'Pending' });
    expect(fold([authRequested, consentDenied, consentGiven])).toMatchObject({ status: 'Denied' });
    expect(fold([authRequested, consentGiven, consentDenied])).toMatchObject({ status: 'Approved' });
    const secondRequest = event('AuthRequested', { ...requested, subject: 'user-2', requestedAt });
    expect(fold([authRequested, secondRequest])).toMatchObject({ status: 'Pending', request: { subject: 'user-1' } });
  });
});

describe('isExpired', () => {
  const pending = foldAuthRequest([{ ...authRequested, eventId: 'e-1' } as AuthRequestEvent]);

  it('is false before expiresAt and true from expiresAt on', () => {
    expect(isExpired(pending, during)).toBe(false);
    expect(isExpired(pending, '2026-11-22T10:04:59.999Z')).toBe(false);
    expect(isExpired(pending, expiresAt)).toBe(true);
    expect(isExpired(pending, afterExpiry)).toBe(true);
  });

  it('compares instants, not strings', () => {
    expect(isExpired(pending, '2026-11-22T11:04:59+01:00')).toBe(false);
    expect(isExpired(pending, '2026-11-22T11:05:00+01:00')).toBe(true);
  });

  it('fails closed on a malformed time', () => {
    expect(isExpired(pending, 'not a time')).toBe(true);
  });

  it('never holds for a request that does not exist', () => {
    expect(isExpired(foldAuthRequest([]), afterExpiry)).toBe(false);
  });
});

describe('client notifications (ping and push)', () => {
  const notified = { requestId: 'request-1', clientId: 'client-1' };
  const target = { endpoint: 'https://client.example/cb', sealedSecrets: 'sealed' };
  const requestedBy = (deliveryMode: 'ping' | 'push') =>
    event('AuthRequested', { ...requested, deliveryMode, clientNotification: target, requestedAt }, requestedAt);
  const pingRequested = requestedBy('ping');
  const pushRequested = requestedBy('push');
  const pushIssued = event('TokensIssued', {
    clientId: 'client-1',
    subject: 'user-1',
    grantedScope: ['openid', 'profile'],
    accessTokenId: 'at-1',
    idTokenId: 'id-1',
    accessTokenExpiresAt: '2026-11-22T11:01:00.000Z',
    sealedTokens: 'sealed-tokens',
  });
  const due = (events: NewEvent<AuthRequestEvent>[], now = during) =>
    clientNotificationDue(
      foldAuthRequest(events.map((e, index) => ({ ...e, eventId: `e-${index}` }) as AuthRequestEvent)),
      now,
    );

  describe('clientNotificationDue', () => {
    it('owes a poll client nothing, whatever happens', () => {
      expect(due([authRequested, consentGiven])).toBeNull();
      expect(due([authRequested, consentDenied])).toBeNull();
      expect(due([authRequested], afterExpiry)).toBeNull();
    });

    it('pings once the user approved or denied, never while pending or on expiry alone', () => {
      expect(due([pingRequested])).toBeNull();
      expect(due([pingRequested], afterExpiry)).toBeNull();
      expect(due([pingRequested, consentGiven])).toEqual({ kind: 'ping' });
      expect(due([pingRequested, consentDenied])).toEqual({ kind: 'ping' });
      expect(due([pingRequested, consentGiven, tokensIssued])).toEqual({ kind: 'ping' });
    });

    it('pushes the tokens once issued, and the CIBA §12 error otherwise', () => {
      expect(due([pushRequested])).toBeNull();
      expect(due([pushRequested, consentGiven])).toBeNull();
      expect(due([pushRequested, consentGiven, pushIssued])).toEqual({ kind: 'push_tokens' });
      expect(due([pushRequested, consentDenied])).toEqual({ kind: 'push_error', error: 'access_denied' });
      expect(due([pushRequested], afterExpiry)).toEqual({ kind: 'push_error', error: 'expired_token' });
      expect(due([pushRequested, consentGiven], afterExpiry)).toEqual({
        kind: 'push_error',
        error: 'transaction_failed',
      });
    });

    it('owes nothing once an outcome is recorded, delivered or not', () => {
      const pinged = event('ClientNotified', { ...notified, kind: 'ping', error: null, httpStatus: 204, attempts: 1 });
      const failed = event('ClientNotificationFailed', {
        ...notified,
        kind: 'ping',
        error: null,
        reason: 'client_error',
        httpStatus: 401,
        attempts: 1,
        detail: 'HTTP 401',
      });
      expect(due([pingRequested, consentGiven, pinged])).toBeNull();
      expect(due([pingRequested, consentGiven, failed])).toBeNull();
    });
  });

  describe('CLIENT_NOTIFICATION_TRIGGERS', () => {
    // Every way a notification can become due before expiry is one event after the request; the
    // table must name each such event, or a delivery job would wait for the expiry instead.
    const answers = [consentGiven, consentDenied];
    const sequences = (mode: 'ping' | 'push'): NewEvent<AuthRequestEvent>[][] => {
      const requestedEvent = mode === 'ping' ? pingRequested : pushRequested;
      return [
        [requestedEvent],
        ...answers.map((answer) => [requestedEvent, answer]),
        [requestedEvent, consentGiven, pushIssued],
      ];
    };

    it.each(['ping', 'push'] as const)('names every event that makes something due for a %s client', (mode) => {
      for (const sequence of sequences(mode)) {
        const last = sequence.at(-1)!;
        const dueBefore = sequence.length > 1 ? due(sequence.slice(0, -1)) : null;
        if (dueBefore === null && due(sequence) !== null) {
          expect(CLIENT_NOTIFICATION_TRIGGERS[mode]).toContain(last.type);
        }
      }
    });

    it.each(['ping', 'push'] as const)('names no event after which nothing becomes due for a %s client', (mode) => {
      for (const type of CLIENT_NOTIFICATION_TRIGGERS[mode]) {
        const making = sequences(mode).filter((sequence) => sequence.at(-1)!.type === type);
        expect(making.some((sequence) => due(sequence) !== null && due(sequence.slice(0, -1)) === null)).toBe(true);
      }
    });

    it('names nothing for a poll client', () => {
      expect(CLIENT_NOTIFICATION_TRIGGERS.poll).toEqual([]);
    });
  });

  describe('RecordClientNotification', () => {
    it('records a delivered ping with its status and attempts', () => {
      spec
        .given([pingRequested, consentGiven])
        .when(recordPing({ delivered: true, httpStatus: 200, attempts: 3 }))
        .then([event('ClientNotified', { ...notified, kind: 'ping', error: null, httpStatus: 200, attempts: 3 })]);
    });

    it('records pushed tokens with the access token id they carried', () => {
      spec
        .given([pushRequested, consentGiven, pushIssued])
        .when(recordClientNotification({ kind: 'push_tokens' }))
        .then([event('TokensPushed', { ...notified, accessTokenId: 'at-1', httpStatus: 204, attempts: 1 })]);
    });

    it('records a pushed error, and a failure with its reason', () => {
      spec
        .given([pushRequested, consentDenied])
        .when(recordClientNotification({ kind: 'push_error', error: 'access_denied' }))
        .then([
          event('ClientNotified', {
            ...notified,
            kind: 'push_error',
            error: 'access_denied',
            httpStatus: 204,
            attempts: 1,
          }),
        ]);
      const failure = {
        delivered: false as const,
        reason: 'retries_exhausted' as const,
        httpStatus: 503,
        attempts: 7,
        detail: 'HTTP 503',
      };
      spec
        .given([pushRequested])
        .when(recordClientNotification({ kind: 'push_error', error: 'expired_token' }, failure, afterExpiry))
        .then([
          event(
            'ClientNotificationFailed',
            {
              ...notified,
              kind: 'push_error',
              error: 'expired_token',
              reason: failure.reason,
              httpStatus: 503,
              attempts: 7,
              detail: 'HTTP 503',
            },
            afterExpiry,
          ),
        ]);
    });

    it('accepts a repeated report with no event: a request gets one outcome', () => {
      const pinged = event('ClientNotified', { ...notified, kind: 'ping', error: null, httpStatus: 204, attempts: 1 });
      spec.given([pingRequested, consentGiven, pinged]).when(recordPing()).thenNothing();
    });

    it('refuses a notification that is not the one due', () => {
      spec.given([]).when(recordPing()).thenRejects('not_found');
      spec.given([authRequested, consentGiven]).when(recordPing()).thenRejects('not_due');
      spec.given([pingRequested]).when(recordPing()).thenRejects('not_due');
      spec
        .given([pushRequested, consentGiven])
        .when(recordClientNotification({ kind: 'push_tokens' }))
        .thenRejects('not_due');
      spec
        .given([pushRequested, consentDenied])
        .when(recordClientNotification({ kind: 'push_error', error: 'expired_token' }))
        .thenRejects('not_due');
    });
  });
});

describe('device notification failures and answers with evidence', () => {
  const failure = {
    channel: 'web-push',
    deviceId: 'device-1',
    reason: 'client_error' as const,
    httpStatus: 410,
    attempts: 1,
    detail: 'HTTP 410',
  };
  const recordFailure = () => command<RecordNotificationFailed>('RecordNotificationFailed', failure);
  const notificationFailed = event('NotificationFailed', { requestId: 'request-1', subject: 'user-1', ...failure });

  it('records a channel giving up on a device once, and not for a device that was reached', () => {
    spec.given([authRequested]).when(recordFailure()).then([notificationFailed]);
    spec.given([authRequested, notificationFailed]).when(recordFailure()).thenNothing();
    spec.given([authRequested, userNotified]).when(recordFailure()).thenNothing();
    spec.given([]).when(recordFailure()).thenRejects('not_found');
  });

  it('records a delivery that comes after a failure of the same device as nothing: one outcome per device', () => {
    spec.given([authRequested, notificationFailed]).when(recordUserNotified()).thenNothing();
  });

  it('records a failure whatever the request became meanwhile: it is a fact about the device', () => {
    spec.given([authRequested, consentDenied]).when(recordFailure()).then([notificationFailed]);
  });

  describe('deviceNotificationDue', () => {
    const device = { channel: 'web-push', deviceId: 'device-1' };

    const state = (...events: NewEvent<AuthRequestEvent>[]) =>
      foldAuthRequest(events.map((e, index) => ({ ...e, eventId: `e-${index}` }) as AuthRequestEvent));

    it('owes an open request to a device nothing was recorded for', () => {
      expect(deviceNotificationDue(state(authRequested), device)).toBe(true);
      expect(deviceNotificationDue(state(authRequested, userNotified), { ...device, deviceId: 'd-2' })).toBe(true);
    });

    it('owes nothing once the device was reached or given up on, once answered, or for no request', () => {
      expect(deviceNotificationDue(state(authRequested, userNotified), device)).toBe(false);
      expect(deviceNotificationDue(state(authRequested, notificationFailed), device)).toBe(false);
      expect(deviceNotificationDue(state(authRequested, consentDenied), device)).toBe(false);
      expect(deviceNotificationDue(state(authRequested, consentGiven), device)).toBe(false);
      expect(deviceNotificationDue(state(), device)).toBe(false);
    });
  });

  it('keeps the evidence of an approval and the reason of a refusal', () => {
    const evidence = {
      method: 'webauthn' as const,
      credentialId: 'cred-1',
      userVerified: true,
      challengeHash: 'hash',
      signCount: 3,
    };
    spec
      .given([authRequested])
      .when(giveConsent({ evidence }))
      .then([
        event('ConsentGiven', {
          requestId: 'request-1',
          subject: 'user-1',
          deviceId: 'device-1',
          grantedScope: ['openid', 'profile', 'email'],
          authenticatedAt: during,
          evidence,
        }),
      ]);
    spec
      .given([authRequested])
      .when(command<DenyConsent>('DenyConsent', { subject: 'user-1', deviceId: 'device-1', reason: 'not_recognized' }))
      .then([
        event('ConsentDenied', {
          requestId: 'request-1',
          subject: 'user-1',
          deviceId: 'device-1',
          reason: 'not_recognized',
        }),
      ]);
  });

  describe('acr_values a request asks for (known values are the least accepted)', () => {
    const askingFor = (acrValues: string[]) =>
      spec.given([event('AuthRequested', { ...requested, acrValues, requestedAt }, requestedAt)]);
    const passkey = (userVerified: boolean) => ({
      method: 'webauthn' as const,
      credentialId: 'credential-1',
      userVerified,
      challengeHash: 'hash',
      signCount: 1,
    });

    it('refuses an approval weaker than a known class asked for', () => {
      askingFor(['phr']).when(giveConsent()).thenRejects('insufficient_authentication');
      askingFor(['phr'])
        .when(giveConsent({ evidence: passkey(false) }))
        .thenRejects('insufficient_authentication');
      askingFor(['urn:backchannel:acr:device'])
        .when(giveConsent({ evidence: { method: 'channel', channel: 'keycloak-http' } }))
        .thenRejects('insufficient_authentication');
    });

    it('accepts an approval as strong or stronger, and ignores classes it does not know', () => {
      const consent = (evidence: AuthenticationEvidence | null) =>
        event('ConsentGiven', {
          requestId: 'request-1',
          subject: 'user-1',
          deviceId: 'device-1',
          grantedScope: ['openid', 'profile', 'email'],
          authenticatedAt: during,
          evidence,
        });
      askingFor(['phr'])
        .when(giveConsent({ evidence: passkey(true) }))
        .then([consent(passkey(true))]);
      askingFor(['urn:backchannel:acr:device', 'phr'])
        .when(giveConsent())
        .then([consent(null)]);
      askingFor(['urn:mace:incommon:iap:silver'])
        .when(giveConsent())
        .then([consent(null)]);
    });
  });
});
