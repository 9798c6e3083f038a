import { createHash } from 'node:crypto';
import type { Event } from './envelope.js';

/** How the client receives the outcome (CIBA §5). */
export type TokenDeliveryMode = 'poll' | 'ping' | 'push';

/** Which hint named the user at /bc-authorize. */
export type HintKind = 'login_hint' | 'login_hint_token' | 'id_token_hint';

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
  }
> & { schemaVersion: 1 };

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
  }
> & { schemaVersion: 1 };

export type AuthRequestEvent = AuthRequested | UserNotified | ConsentGiven | ConsentDenied | TokensIssued;

export type AuthRequestEventType = AuthRequestEvent['type'];

export const AUTH_REQUEST_EVENT_TYPES: readonly AuthRequestEventType[] = [
  'AuthRequested',
  'UserNotified',
  'ConsentGiven',
  'ConsentDenied',
  'TokensIssued',
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
