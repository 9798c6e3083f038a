import type {
  AuthRequestEvent,
  AuthRequestEventType,
  AuthRequested,
  AuthenticationEvidence,
  ClientNotificationFailureReason,
  ClientNotificationKind,
  DenialReason,
  NotificationFailed,
  PushErrorCode,
  TokenDeliveryMode,
} from '@backchannel/events';

/** What the client asked for, exactly as recorded by AuthRequested. */
export type RequestedAuthentication = AuthRequested['data'];

/** One delivery of the request to one of the user's devices (`at` is the event's time). */
export interface DeviceNotification {
  channel: string;
  deviceId: string | null;
  at: string;
}

/** A channel gave up on a device (NotificationFailed). */
export interface FailedDeviceNotification {
  channel: string;
  deviceId: string | null;
  reason: NotificationFailed['data']['reason'];
  at: string;
}

export interface Consent {
  subject: string;
  deviceId: string;
  grantedScope: string[];
  authenticatedAt: string;
  evidence: AuthenticationEvidence | null;
}

export interface Denial {
  subject: string;
  deviceId: string;
  reason: DenialReason;
  at: string;
}

export interface Issuance {
  accessTokenId: string;
  idTokenId: string | null;
  accessTokenExpiresAt: string;
  issuedAt: string;
  /** Push mode: the sealed token payload for the client (see TokensIssued). */
  sealedTokens: string | null;
}

/** How the one notification of a ping or push client ended (ClientNotified, TokensPushed, ClientNotificationFailed). */
export interface ClientNotificationOutcome {
  kind: ClientNotificationKind;
  error: PushErrorCode | null;
  delivered: boolean;
  reason: ClientNotificationFailureReason | null;
  httpStatus: number | null;
  attempts: number;
  at: string;
}

interface Requested {
  request: RequestedAuthentication;
  notifications: DeviceNotification[];
  failedNotifications: FailedDeviceNotification[];
  /** Null until the client's notification endpoint was called successfully or given up on. */
  clientNotification: ClientNotificationOutcome | null;
}

/**
 * One CIBA request, folded from its stream. Expiry is deliberately not a status: it depends on the
 * clock of whoever asks (see isExpired), so a late approval loses against expiry without a timer.
 */
export type AuthRequestState =
  | { status: 'Empty' }
  | ({ status: 'Pending' } & Requested)
  | ({ status: 'Approved'; consent: Consent } & Requested)
  | ({ status: 'Denied'; denial: Denial } & Requested)
  | ({ status: 'Issued'; consent: Consent; issuance: Issuance } & Requested);

export type AuthRequestStatus = AuthRequestState['status'];

export function initialState(): AuthRequestState {
  return { status: 'Empty' };
}

/**
 * Fails closed: an instant that cannot be compared (a malformed `now` or `expiresAt`) counts as
 * expired, so no consent or token can slip through on bad input. An Empty state never expires.
 */
export function isExpired(state: AuthRequestState, now: string): boolean {
  if (state.status === 'Empty') return false;
  return !(Date.parse(now) < Date.parse(state.request.expiresAt));
}

/**
 * Applies one event. Events that do not fit the current state are ignored rather than thrown on,
 * because the stream is the truth and decide never emits them: a second AuthRequested, a consent
 * or denial after the decision (decisions are final), TokensIssued without approval, and anything
 * but AuthRequested on an Empty state. UserNotified is recorded in every non-empty state, since
 * devices may still be told about a request that was just decided.
 */
export function evolve(state: AuthRequestState, event: AuthRequestEvent): AuthRequestState {
  switch (event.type) {
    case 'AuthRequested':
      return state.status === 'Empty'
        ? {
            status: 'Pending',
            request: event.data,
            notifications: [],
            failedNotifications: [],
            clientNotification: null,
          }
        : state;
    case 'UserNotified': {
      if (state.status === 'Empty') return state;
      const { channel, deviceId } = event.data;
      return {
        ...state,
        notifications: [...state.notifications, { channel, deviceId, at: event.metadata.occurredAt }],
      };
    }
    case 'NotificationFailed': {
      if (state.status === 'Empty') return state;
      const { channel, deviceId, reason } = event.data;
      return {
        ...state,
        failedNotifications: [
          ...state.failedNotifications,
          { channel, deviceId, reason, at: event.metadata.occurredAt },
        ],
      };
    }
    case 'ConsentGiven': {
      if (state.status !== 'Pending') return state;
      const { subject, deviceId, grantedScope, authenticatedAt, evidence } = event.data;
      return { ...state, status: 'Approved', consent: { subject, deviceId, grantedScope, authenticatedAt, evidence } };
    }
    case 'ConsentDenied': {
      if (state.status !== 'Pending') return state;
      const { subject, deviceId, reason } = event.data;
      return { ...state, status: 'Denied', denial: { subject, deviceId, reason, at: event.metadata.occurredAt } };
    }
    case 'TokensIssued': {
      if (state.status !== 'Approved') return state;
      const { accessTokenId, idTokenId, accessTokenExpiresAt, sealedTokens } = event.data;
      return {
        ...state,
        status: 'Issued',
        issuance: { accessTokenId, idTokenId, accessTokenExpiresAt, issuedAt: event.metadata.occurredAt, sealedTokens },
      };
    }
    case 'ClientNotified':
      return recordClientNotification(state, {
        kind: event.data.kind,
        error: event.data.error,
        delivered: true,
        reason: null,
        httpStatus: event.data.httpStatus,
        attempts: event.data.attempts,
        at: event.metadata.occurredAt,
      });
    case 'TokensPushed':
      return recordClientNotification(state, {
        kind: 'push_tokens',
        error: null,
        delivered: true,
        reason: null,
        httpStatus: event.data.httpStatus,
        attempts: event.data.attempts,
        at: event.metadata.occurredAt,
      });
    case 'ClientNotificationFailed':
      return recordClientNotification(state, {
        kind: event.data.kind,
        error: event.data.error,
        delivered: false,
        reason: event.data.reason,
        httpStatus: event.data.httpStatus,
        attempts: event.data.attempts,
        at: event.metadata.occurredAt,
      });
    default:
      // The never check makes a new event type a compile error here; at run time upcast() has
      // already refused types this code does not know, so there is nothing else to apply.
      event satisfies never;
      return state;
  }
}

/** A device as its channel names it (deviceId null: a channel without device ids, as in v1 events). */
export interface NotificationRecipient {
  channel: string;
  deviceId: string | null;
}

/** Whether the end of the device's notification (delivered or given up) is recorded: one outcome per device. */
export function deviceNotificationRecorded(state: AuthRequestState, device: NotificationRecipient): boolean {
  if (state.status === 'Empty') return false;
  const same = (entry: NotificationRecipient) => entry.channel === device.channel && entry.deviceId === device.deviceId;
  return state.notifications.some(same) || state.failedNotifications.some(same);
}

/**
 * Whether a device is still owed the request: it is pending (nobody answered) and no outcome was
 * recorded for this device. Time is the delivery's deadline (the request's expiry), so it is not
 * looked at here; RecordUserNotified refuses a notification at or after expiry.
 */
export function deviceNotificationDue(state: AuthRequestState, device: NotificationRecipient): boolean {
  return state.status === 'Pending' && !deviceNotificationRecorded(state, device);
}

/** The first outcome is final: a request gets at most one notification. */
function recordClientNotification(state: AuthRequestState, outcome: ClientNotificationOutcome): AuthRequestState {
  if (state.status === 'Empty' || state.clientNotification !== null) return state;
  return { ...state, clientNotification: outcome };
}

/** What a ping or push client's endpoint must receive now (see clientNotificationDue). */
export type DueClientNotification =
  { kind: 'ping' } | { kind: 'push_tokens' } | { kind: 'push_error'; error: PushErrorCode };

/**
 * The one notification a ping or push client is owed at `now`, or null when nothing is due (a poll
 * client, a request still open, or one whose notification already ended). Ping: once the user
 * approved or denied (CIBA §10.2; no ping on expiry). Push (§10.3, §12): the tokens once issued,
 * access_denied after a denial, expired_token when the request expired unanswered, and
 * transaction_failed when it was approved but no tokens could be issued before it expired.
 */
export function clientNotificationDue(state: AuthRequestState, now: string): DueClientNotification | null {
  if (state.status === 'Empty' || state.clientNotification !== null) return null;
  switch (state.request.deliveryMode) {
    case 'poll':
      return null;
    case 'ping':
      return state.status === 'Pending' ? null : { kind: 'ping' };
    case 'push':
      if (state.status === 'Issued') return { kind: 'push_tokens' };
      if (state.status === 'Denied') return { kind: 'push_error', error: 'access_denied' };
      if (!isExpired(state, now)) return null;
      return { kind: 'push_error', error: state.status === 'Pending' ? 'expired_token' : 'transaction_failed' };
    default: {
      const unknownMode: never = state.request.deliveryMode;
      throw new Error(`unhandled delivery mode ${String(unknownMode)}`);
    }
  }
}

/**
 * The events after which clientNotificationDue may owe a client something, by delivery mode
 * (besides expiry, which is a time, not an event): a ping follows the user's answer; a push follows
 * the issuance of the tokens or a denial. A delivery job waits for these and no other.
 */
export const CLIENT_NOTIFICATION_TRIGGERS: Readonly<Record<TokenDeliveryMode, readonly AuthRequestEventType[]>> = {
  poll: [],
  ping: ['ConsentGiven', 'ConsentDenied'],
  push: ['TokensIssued', 'ConsentDenied'],
};

/** The state of a stream, from its events in order. */
export function foldAuthRequest(events: readonly AuthRequestEvent[]): AuthRequestState {
  return events.reduce(evolve, initialState());
}
