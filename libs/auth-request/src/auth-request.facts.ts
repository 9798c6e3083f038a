import type { AuthRequestEvent, AuthRequested, ConsentDenied } from '@backchannel/events';

/** What the client asked for, exactly as recorded by AuthRequested. */
export type RequestedAuthentication = AuthRequested['data'];

/** One delivery of the request to one of the user's devices (`at` is the event's time). */
export interface DeviceNotification {
  channel: string;
  deviceId: string | null;
  at: string;
}

export interface Consent {
  subject: string;
  deviceId: string;
  grantedScope: string[];
  authenticatedAt: string;
}

export interface Denial {
  subject: string;
  deviceId: string;
  reason: ConsentDenied['data']['reason'];
  at: string;
}

export interface Issuance {
  accessTokenId: string;
  idTokenId: string | null;
  accessTokenExpiresAt: string;
  issuedAt: string;
}

interface Requested {
  request: RequestedAuthentication;
  notifications: DeviceNotification[];
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
      return state.status === 'Empty' ? { status: 'Pending', request: event.data, notifications: [] } : state;
    case 'UserNotified': {
      if (state.status === 'Empty') return state;
      const { channel, deviceId } = event.data;
      return {
        ...state,
        notifications: [...state.notifications, { channel, deviceId, at: event.metadata.occurredAt }],
      };
    }
    case 'ConsentGiven': {
      if (state.status !== 'Pending') return state;
      const { subject, deviceId, grantedScope, authenticatedAt } = event.data;
      return { ...state, status: 'Approved', consent: { subject, deviceId, grantedScope, authenticatedAt } };
    }
    case 'ConsentDenied': {
      if (state.status !== 'Pending') return state;
      const { subject, deviceId, reason } = event.data;
      return { ...state, status: 'Denied', denial: { subject, deviceId, reason, at: event.metadata.occurredAt } };
    }
    case 'TokensIssued': {
      if (state.status !== 'Approved') return state;
      const { accessTokenId, idTokenId, accessTokenExpiresAt } = event.data;
      return {
        ...state,
        status: 'Issued',
        issuance: { accessTokenId, idTokenId, accessTokenExpiresAt, issuedAt: event.metadata.occurredAt },
      };
    }
    default:
      // The never check makes a new event type a compile error here; at run time upcast() has
      // already refused types this code does not know, so there is nothing else to apply.
      event satisfies never;
      return state;
  }
}

/** The state of a stream, from its events in order. */
export function foldAuthRequest(events: readonly AuthRequestEvent[]): AuthRequestState {
  return events.reduce(evolve, initialState());
}
