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
    /** RFC 8707 resource indicators: the access token's audiences. Absent: none asked (the issuer's). */
    resources?: string[];
    /** RFC 9396 rich authorization requests, as sent (validated). Absent: none asked. */
    authorizationDetails?: AuthorizationDetail[];
    /** OIDC Core §5.5 `claims` parameter: the claim names asked for individually. Absent: none. */
    requestedClaims?: RequestedClaims;
    /**
     * The plain-word descriptions of the request's API scopes and authorization-detail types when it
     * was made (from the consent vocabulary), so the device shows what was asked even if the
     * vocabulary changes later. Absent: nothing to describe.
     */
    wording?: ConsentWording;
  }
> & { schemaVersion: 2 };

/** RFC 9396 §2: one authorization detail, a JSON object with at least its `type`. */
export interface AuthorizationDetail {
  type: string;
  [member: string]: unknown;
}

/** The claims asked for with the `claims` parameter, by where they are to be returned. */
export interface RequestedClaims {
  userinfo: string[];
  id_token: string[];
}

/** Descriptions in plain words, by API scope and by authorization-detail type. */
export interface ConsentWording {
  scopes: Record<string, string>;
  authorizationDetailTypes: Record<string, string>;
}

/**
 * A channel (Web Push, webhook, Keycloak-compatible) delivered the request to one of the user's
 * devices. Never recorded for the device API: its devices pull their list and nobody is told
 * anything (v1 streams may hold such events, with channel device-api and no device id).
 */
export type UserNotified = Event<
  'UserNotified',
  { requestId: string; subject: string; channel: string; deviceId: string | null }
> & { schemaVersion: 1 };

/**
 * Why a delivery (to a client's notification endpoint or to a device's channel) ended without
 * success, the same words for both (the one delivery pipeline classifies every attempt):
 * - client_error: the recipient answered 4xx, never retried (408, 425 and 429 are retried);
 * - redirect: it answered 3xx, never followed;
 * - rejected: the channel refused for good without an HTTP reason (a push subscription that cannot
 *   be encrypted to, an answer the channel's contract does not accept);
 * - refused_address: the URL or the address it resolves to is not allowed (SSRF policy);
 * - retries_exhausted: transient failures until the deadline (the request's expiry).
 */
export type DeliveryFailureReason = 'client_error' | 'redirect' | 'rejected' | 'refused_address' | 'retries_exhausted';

/** A channel could not reach a device (after retries for transient failures). */
export type NotificationFailed = Event<
  'NotificationFailed',
  {
    requestId: string;
    subject: string;
    channel: string;
    deviceId: string | null;
    /** v1 knew rejected (any permanent refusal, 4xx and redirects included), refused_address and retries_exhausted. */
    reason: DeliveryFailureReason;
    /** The last HTTP status, if the channel answered at all (null for v1 events). */
    httpStatus: number | null;
    attempts: number;
    /** A short, secret-free description of the last failure. */
    detail: string;
  }
> & { schemaVersion: 2 };

/**
 * How the approver proved who they are. `webauthn`: a passkey assertion over a challenge derived
 * from what the device showed (request id, scopes, binding message), so the signature proves what
 * the user saw. `channel`: an external authentication channel (Keycloak-compatible HTTP channel,
 * webhook) asserted the result. Null: the device API's bearer device token only.
 */
export type AuthenticationEvidence =
  | {
      method: 'webauthn';
      credentialId: string;
      /** The authenticator verified the user (PIN, biometrics), not only their presence. */
      userVerified: boolean;
      /** base64url SHA-256 of the challenge the assertion signed. */
      challengeHash: string;
      signCount: number;
    }
  | { method: 'channel'; channel: string };

/** The user approved, possibly granting fewer scopes than requested. */
export type ConsentGiven = Event<
  'ConsentGiven',
  {
    requestId: string;
    subject: string;
    deviceId: string;
    grantedScope: string[];
    authenticatedAt: string;
    /** Null for v1 events and for the device API (device token only). */
    evidence: AuthenticationEvidence | null;
  }
> & { schemaVersion: 2 };

/**
 * Why the request was refused: the user said no (`user_denied`), said "this wasn't me"
 * (`not_recognized`: the user did not start anything, a sign of push bombing), or an external
 * channel reported a failed (`authentication_failed`) or cancelled (`cancelled`) authentication.
 */
/** `user_disabled`, `user_deleted`: an administrator disabled or deleted the user while the request was open. */
export type DenialReason =
  'user_denied' | 'not_recognized' | 'authentication_failed' | 'cancelled' | 'user_disabled' | 'user_deleted';

/** The user refused. */
export type ConsentDenied = Event<
  'ConsentDenied',
  { requestId: string; subject: string; deviceId: string; reason: DenialReason }
> & { schemaVersion: 2 };

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
    /** RFC 8705 §3 and RFC 9449 §6: what the access token is bound to (its `cnf` claim); absent for a bearer token. */
    confirmation?: AccessTokenConfirmation;
    /** The family of the refresh token issued with them (its rotations share it); absent: none was issued. */
    refreshTokenFamilyId?: string;
  }
> & { schemaVersion: 2 };

/**
 * The `cnf` claim of a sender-constrained access token: the SHA-256 thumbprint of the client's
 * certificate (RFC 8705 §3.1), of its DPoP key (RFC 9449 §6.1), or both when it presented both.
 */
export interface AccessTokenConfirmation {
  'x5t#S256'?: string;
  jkt?: string;
}

/** RFC 9449 §5: a DPoP-bound access token is of type DPoP, any other of type Bearer. */
export function accessTokenType(confirmation: AccessTokenConfirmation | null | undefined): 'Bearer' | 'DPoP' {
  return confirmation?.jkt === undefined ? 'Bearer' : 'DPoP';
}

/** The plaintext of TokensIssued.sealedTokens: the push body of CIBA §10.3.1 without auth_req_id. */
export interface PushedTokens {
  access_token: string;
  /** Bearer when pushed (push mode has no token request to bind to); DPoP when a DPoP proof came with the token request. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  id_token: string;
  /** For clients registered for the refresh_token grant. */
  refresh_token?: string;
  scope: string;
  /** RFC 9396 §7: the authorization details granted, when the request had any. */
  authorization_details?: AuthorizationDetail[];
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

/** Why delivery to a client ended without success (a client's endpoint never "rejects" by contract). */
export type ClientNotificationFailureReason = Exclude<DeliveryFailureReason, 'rejected'>;

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
  | NotificationFailed
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
  'NotificationFailed',
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
