import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  errors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { sameTyp } from './jwt-typ.js';
import { SIGNING_ALGORITHMS } from './signing-key.js';

export interface ExpectedJwt {
  issuer: string;
  /** `aud` must hold it; absent: any audience (our access tokens name their resources, RFC 8707). */
  audience?: string;
  /** Required `typ` header (compared as jose does: case-insensitive, `application/` optional). */
  typ?: string;
  currentDate?: Date;
}

/** Claims every token this server signs carries; a token without one of them is not ours. */
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'iat', 'exp'];

/**
 * A token failed verification. `code` is jose's error code (e.g. `ERR_JWT_EXPIRED`,
 * `ERR_JWT_CLAIM_VALIDATION_FAILED`, `ERR_JOSE_ALG_NOT_ALLOWED`), so callers can map it to an
 * OAuth error without importing jose.
 */
export class JwtVerificationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** For ERR_JWT_CLAIM_VALIDATION_FAILED: the claim at fault. */
    readonly claim?: string,
  ) {
    super(message);
    this.name = 'JwtVerificationError';
  }
}

/** Verifies signature (allow-listed algorithms only), issuer, audience, typ, lifetime and required claims. */
export function verifyJwt(token: string, jwks: { keys: JWK[] }, expected: ExpectedJwt): Promise<JWTPayload> {
  return verifyWith(token, jwks, {
    algorithms: [...SIGNING_ALGORITHMS],
    issuer: expected.issuer,
    audience: expected.audience,
    typ: expected.typ,
    currentDate: expected.currentDate,
    requiredClaims: REQUIRED_CLAIMS,
  });
}

/**
 * An ID token this server issued to `audience`, as an id_token_hint (CIBA §7.1): our signature,
 * our issuer, the client among its audiences, `typ` JWT (never an access token or a channel
 * token), a `sub`. Expiry is not checked: CIBA lets a client send an ID token that has expired.
 */
export async function verifyIdTokenHint(
  token: string,
  jwks: { keys: JWK[] },
  expected: { issuer: string; audience: string },
): Promise<JWTPayload & { sub: string }> {
  let claims: JWTPayload;
  let typ: unknown;
  try {
    const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(jwks), {
      algorithms: [...SIGNING_ALGORITHMS],
    });
    claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
    typ = protectedHeader.typ;
  } catch (error) {
    throw asVerificationError(error);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const problem =
    typeof typ !== 'string' || !sameTyp(typ, 'JWT')
      ? 'typ'
      : claims.iss !== expected.issuer
        ? 'iss'
        : !audiences.includes(expected.audience)
          ? 'aud'
          : typeof claims.sub !== 'string' || claims.sub.length === 0
            ? 'sub'
            : null;
  if (problem) throw new JwtVerificationError('ERR_JWT_CLAIM_VALIDATION_FAILED', `unexpected "${problem}"`, problem);
  return claims as JWTPayload & { sub: string };
}

/** What a JWT signed by a client (a client assertion, a request object, a login_hint_token) must be. */
export interface ExpectedClientJwt {
  /** The algorithms allowed for this client; never `none` or a symmetric one for keys. */
  algorithms: readonly string[];
  /** `iss` must be this (absent: not checked). */
  issuer?: string;
  subject?: string;
  /** `aud` must hold one of these (absent: not checked). */
  audiences?: readonly string[];
  requiredClaims: string[];
  clockToleranceSeconds: number;
  currentDate: Date;
  /** When the header has a `typ`, it must be this one, in any letter case (absent is accepted). */
  typIfPresent?: string;
}

/** What a client's JWT verifies with: its public keys, or (a MAC, client_secret_jwt) its secret. */
export type ClientJwtKeys = { keys: JWK[] } | { secret: Uint8Array };

/** Verifies a JWT a client signed with one of its registered public keys, or MACed with its secret. */
export async function verifyClientJwt(
  token: string,
  keys: ClientJwtKeys,
  expected: ExpectedClientJwt,
): Promise<JWTPayload> {
  const { payload, protectedHeader } = await verifyReturningHeader(token, keys, {
    algorithms: [...expected.algorithms],
    issuer: expected.issuer,
    subject: expected.subject,
    audience: expected.audiences && [...expected.audiences],
    requiredClaims: expected.requiredClaims,
    clockTolerance: expected.clockToleranceSeconds,
    currentDate: expected.currentDate,
  });
  const { typ } = protectedHeader;
  if (expected.typIfPresent !== undefined && typ !== undefined && !sameTyp(typ, expected.typIfPresent)) {
    throw new JwtVerificationError('ERR_JWT_CLAIM_VALIDATION_FAILED', 'unexpected "typ" JWT header value', 'typ');
  }
  return payload;
}

/** The claims of a JWT, not verified: only to find out who says they signed it. */
export function unverifiedJwtClaims(token: string): JWTPayload {
  try {
    return decodeJwt(token);
  } catch (error) {
    throw asVerificationError(error);
  }
}

async function verifyWith(token: string, jwks: { keys: JWK[] }, options: JWTVerifyOptions): Promise<JWTPayload> {
  return (await verifyReturningHeader(token, jwks, options)).payload;
}

async function verifyReturningHeader(token: string, keys: ClientJwtKeys, options: JWTVerifyOptions) {
  try {
    // jose's key sets hold public keys only: a secret is given as the key itself
    if ('secret' in keys) return await jwtVerify(token, keys.secret, options);
    return await jwtVerify(token, createLocalJWKSet(keys), options);
  } catch (error) {
    throw asVerificationError(error);
  }
}

function asVerificationError(error: unknown): unknown {
  if (!(error instanceof errors.JOSEError)) return error;
  const claim = error instanceof errors.JWTClaimValidationFailed ? error.claim : undefined;
  return new JwtVerificationError(error.code, error.message, claim);
}
