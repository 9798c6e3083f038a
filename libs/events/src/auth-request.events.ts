import { createHash } from 'node:crypto';
import type { Event } from './envelope.js';

/** How the client receives the outcome (CIBA §5). */
export type TokenDeliveryMode = 'poll' | 'ping' | 'push';

/** Which hint named the user at /bc-authorize. */
export type HintKind = 'login_hint' | 'login_hint_token' | 'id_token_hint';

/**
 * Where a ping or push client is told about the outcome. The auth_req_id and the
 * client_notification_token are bearer secrets, so they travel only sealed (JWE with a key derived
 * from the key-encryption key, bound to this stream): Kafka and the event store never see them.
 */
export interface ClientNotificationTarget {
  /** The client's backchannel_client_notification_endpoint when the request was made. */
  endpoint: string;
  /** `NotificationSecrets`, sealed with PayloadSealer to the request's stream id. */
  sealedSecrets: string;
}

/** The plaintext of ClientNotificationTarget.sealedSecrets. */
export interface NotificationSecrets {
  authReqId: string;
  clientNotificationToken: string;
}

/** A client asked for a user's consent at /bc-authorize; the user named by the hint was found. */
export type AuthRequested = Event<
  'AuthRequested',
  {
    /** The identifier the device sees instead of the auth_req_id (which only the client holds). */
    requestId: string;
    clientId: string;
    clientName: string;
    /** The `sub` of the user the hint resolved to. */
    subject: string;
    hintKind: HintKind;
    /** Requested scopes, de-duplicated, in the order the client sent them. */
    scope: string[];
    acrValues: string[];
    bindingMessage: string | null;
    deliveryMode: TokenDeliveryMode;
    /** Minimum seconds between polls, as returned in the acknowledgement. */
    pollInterval: number;
    requestedAt: string;
    expiresAt: string;
    /** Null for poll clients (v1 events are upcast with null: only poll clients existed then). */
    clientNotification: ClientNotificationTarget | null;
  }
> & { schemaVersion: 2 };

/** The user's device was told about the request. */
export type UserNotified = Event<
  'UserNotified',
  { requestId: string; subject: string; channel: string; deviceId: string | null }
> & { schemaVersion: 1 };

/** The user approved, possibly granting fewer scopes than requested. */
export type ConsentGiven = Event<
  'ConsentGiven',
  { requestId: string; subject: string; deviceId: string; grantedScope: string[]; authenticatedAt: string }
> & { schemaVersion: 1 };

/** The user refused. */
export type ConsentDenied = Event<
  'ConsentDenied',
  { requestId: string; subject: string; deviceId: string; reason: 'user_denied' }
> & { schemaVersion: 1 };

/**
 * Tokens were issued for the request (exactly once). The tokens themselves are never stored: only
 * their identifiers, so an audit can tie an access token seen elsewhere back to this request.
 */
export type TokensIssued = Event<
  'TokensIssued',
  {
    clientId: string;
    subject: string;
    grantedScope: string[];
    accessTokenId: string;
    idTokenId: string | null;
    accessTokenExpiresAt: string;
    /**
     * Push mode only: the token payload for the client's notification endpoint (`PushedTokens`),
     * sealed to this stream, so the token service mints once and ping-delivery only forwards.
     * Null for poll and ping (v1 events are upcast with null).
     */
    sealedTokens: string | null;
  }
> & { schemaVersion: 2 };

/** The plaintext of TokensIssued.sealedTokens: the push body of CIBA §10.3.1 without auth_req_id. */
export interface PushedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  scope: string;
}

/** The error a push client receives instead of tokens (CIBA §12). */
export type PushErrorCode = 'access_denied' | 'expired_token' | 'transaction_failed';

/**
 * What is sent to a client's notification endpoint: a ping (CIBA §10.2), the tokens (§10.3.1) or
 * an error (§12). A request gets at most one of them.
 */
export type ClientNotificationKind = 'ping' | 'push_tokens' | 'push_error';

/** A ping or a push error was delivered: the endpoint answered with a 2xx. */
export type ClientNotified = Event<
  'ClientNotified',
  {
    requestId: string;
    clientId: string;
    kind: 'ping' | 'push_error';
    /** The pushed error, for kind push_error. */
    error: PushErrorCode | null;
    httpStatus: number;
    /** Attempts it took, this one included. */
    attempts: number;
  }
> & { schemaVersion: 1 };

/** The tokens were delivered to a push client. */
export type TokensPushed = Event<
  'TokensPushed',
  { requestId: string; clientId: string; accessTokenId: string; httpStatus: number; attempts: number }
> & { schemaVersion: 1 };

/**
 * Why delivery ended without success: the endpoint answered 4xx (never retried) or 3xx (never
 * followed), its address is not allowed, or retries ran out when the request expired.
 */
export type ClientNotificationFailureReason = 'client_error' | 'redirect' | 'refused_address' | 'retries_exhausted';

export type ClientNotificationFailed = Event<
  'ClientNotificationFailed',
  {
    requestId: string;
    clientId: string;
    kind: ClientNotificationKind;
    error: PushErrorCode | null;
    reason: ClientNotificationFailureReason;
    /** The last HTTP status, if the endpoint answered at all. */
    httpStatus: number | null;
    attempts: number;
    /** A short, secret-free description of the last failure. */
    detail: string;
  }
> & { schemaVersion: 1 };

export type AuthRequestEvent =
  | AuthRequested
  | UserNotified
  | ConsentGiven
  | ConsentDenied
  | TokensIssued
  | ClientNotified
  | TokensPushed
  | ClientNotificationFailed;

export type AuthRequestEventType = AuthRequestEvent['type'];

export const AUTH_REQUEST_EVENT_TYPES: readonly AuthRequestEventType[] = [
  'AuthRequested',
  'UserNotified',
  'ConsentGiven',
  'ConsentDenied',
  'TokensIssued',
  'ClientNotified',
  'TokensPushed',
  'ClientNotificationFailed',
];

const AUTH_REQUEST_STREAM_PREFIX = 'auth-request-';

/**
 * One stream per request, named by the SHA-256 of its auth_req_id (base64url): the id a client
 * redeems is never stored, published or logged (checklist U-1); the token endpoint hashes the id
 * it is given to find the stream.
 */
export function authRequestStreamId(authReqId: string): string {
  return `${AUTH_REQUEST_STREAM_PREFIX}${createHash('sha256').update(authReqId).digest('base64url')}`;
}

export function isAuthRequestStream(streamId: string): boolean {
  return streamId.startsWith(AUTH_REQUEST_STREAM_PREFIX);
}
