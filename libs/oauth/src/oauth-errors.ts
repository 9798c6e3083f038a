/**
 * OAuth 2.0 / CIBA error responses (RFC 6749 §5.2, CIBA §11 and §13), one class per error code.
 * The exception filter renders them as `{ error, error_description }` and nothing else.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  /** HTTP status for this error at the endpoint that raised it. */
  abstract readonly status: number;

  constructor(readonly description: string) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
  readonly status = 400;
}

/**
 * Client authentication failed. The filter adds a WWW-Authenticate header, which RFC 6749 §5.2
 * requires when the client tried HTTP Basic (it is sent on every 401).
 */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  readonly status = 401;
}

export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
  readonly status = 400;
}

export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
  readonly status = 400;
}

export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
  readonly status = 400;
}

export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
  readonly status = 400;
}

/** RFC 8707 §2: a resource the client may not ask for, or one that is not an absolute URI. */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
  readonly status = 400;
}

/** RFC 9396 §5: authorization_details malformed, or of a type the client may not ask for. */
export class InvalidAuthorizationDetails extends OAuthError {
  readonly error = 'invalid_authorization_details';
  readonly status = 400;
}

export class UnknownUserId extends OAuthError {
  readonly error = 'unknown_user_id';
  readonly status = 400;
}

export class InvalidBindingMessage extends OAuthError {
  readonly error = 'invalid_binding_message';
  readonly status = 400;
}

export class ExpiredLoginHintToken extends OAuthError {
  readonly error = 'expired_login_hint_token';
  readonly status = 400;
}

export class MissingUserCode extends OAuthError {
  readonly error = 'missing_user_code';
  readonly status = 400;
}

export class InvalidUserCode extends OAuthError {
  readonly error = 'invalid_user_code';
  readonly status = 400;
}

/** At /bc-authorize a denial is 403 (CIBA §13); at /token it is 400 (CIBA §11). */
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  constructor(
    description: string,
    readonly status: 400 | 403,
  ) {
    super(description);
  }
}

export class AuthorizationPending extends OAuthError {
  readonly error = 'authorization_pending';
  readonly status = 400;
}

export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
  readonly status = 400;
}

export class ExpiredToken extends OAuthError {
  readonly error = 'expired_token';
  readonly status = 400;
}

/**
 * RFC 6750 §3.1: the bearer token (an initial or registration access token) is missing, expired or
 * not valid here. 401 challenges with `WWW-Authenticate: Bearer error="invalid_token"` (§3); the
 * Keycloak-compatible callback answers a bad or used token with Keycloak's 403.
 */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  constructor(
    description: string,
    readonly status: 401 | 403 = 401,
  ) {
    super(description);
  }
}

/**
 * RFC 9449 §5 and §7.1: a DPoP proof is missing or broken. 400 at the token endpoint, 401 with a
 * `WWW-Authenticate: DPoP` challenge at a protected resource (userinfo).
 */
export class InvalidDpopProof extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  constructor(
    description: string,
    readonly status: 400 | 401 = 400,
  ) {
    super(description);
  }
}

/** RFC 9449 §8 and §9: the proof must carry the server's current nonce, sent back in `DPoP-Nonce`. */
export class UseDpopNonce extends OAuthError {
  readonly error = 'use_dpop_nonce';
  constructor(
    description: string,
    readonly nonce: string,
    readonly status: 400 | 401 = 400,
  ) {
    super(description);
  }
}

/** RFC 6750 §3.1: the access token is valid but does not grant what the resource needs. */
export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  readonly status = 403;
}

export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
  readonly status = 400;
}

/** The server failed; the description never carries internals (they go to the log). */
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  readonly status = 500;
}

/** An error the client may retry after a while: answered with Retry-After (the exception filter). */
export abstract class RetryLater extends OAuthError {
  constructor(
    description: string,
    readonly retryAfterSeconds: number,
  ) {
    super(description);
  }
}

/** Load shedding at the token endpoint: 503 with Retry-After (never 429, checklist N-4). */
export class TemporarilyUnavailable extends RetryLater {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
}

/**
 * Too many failed authentications from one address at the admin or device API: 429 with
 * Retry-After. Never at the CIBA endpoints, which slow a client down with slow_down or 503
 * instead (checklist N-4).
 */
export class TooManyRequests extends RetryLater {
  readonly error = 'too_many_requests';
  readonly status = 429;
}
