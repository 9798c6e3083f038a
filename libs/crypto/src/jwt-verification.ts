import { createLocalJWKSet, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { SIGNING_ALGORITHMS } from './signing-key.js';

export interface ExpectedJwt {
  issuer: string;
  audience: string;
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
  ) {
    super(message);
    this.name = 'JwtVerificationError';
  }
}

/** Verifies signature (allow-listed algorithms only), issuer, audience, typ, lifetime and required claims. */
export async function verifyJwt(token: string, jwks: { keys: JWK[] }, expected: ExpectedJwt): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: [...SIGNING_ALGORITHMS],
      issuer: expected.issuer,
      audience: expected.audience,
      typ: expected.typ,
      currentDate: expected.currentDate,
      requiredClaims: REQUIRED_CLAIMS,
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new JwtVerificationError(error.code, error.message);
    throw error;
  }
}
