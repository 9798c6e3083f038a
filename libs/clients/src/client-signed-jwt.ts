import { type ClientJwtKeys, JwtVerificationError, type JWTPayload, verifyClientJwt } from '@backchannel/crypto';
import type { ClientSigningAlgorithm } from '@backchannel/events';
import type { OAuthError } from '@backchannel/oauth';
import { ClientKeysUnavailable } from './client-key-sets.js';
import type { RegisteredClient } from './registered-client.js';

/** Clocks differ: `exp` and `nbf` of whatever a client signs are judged with this much leeway (FAPI 2: 10 s). */
export const CLIENT_JWT_CLOCK_TOLERANCE_SECONDS = 10;
/** FAPI 2: an `iat` more than 60 s in the future is refused. */
const MAX_IAT_AHEAD_SECONDS = 60;
const MAX_JTI_LENGTH = 512;

/** What a JWT signed by a client must be, and how a refusal is told. */
export interface ClientJwtRules {
  /** How the JWT is named in error descriptions ("The client assertion"). */
  name: string;
  /** Asymmetric ones for keys; HS256 only for a client_secret_jwt assertion, verified with the secret. */
  algorithms: readonly (ClientSigningAlgorithm | 'HS256')[];
  audiences: readonly string[];
  subject?: string;
  requiredClaims: string[];
  /** At most this many seconds between `exp` and now (`from: 'now'`) or between `exp` and `nbf`. */
  maxLifetime: { seconds: number; from: 'now' | 'nbf' };
  typIfPresent?: string;
  now: Date;
  /** The OAuth error a refusal is: invalid_client for an assertion, invalid_request for a request. */
  refuse: (description: string) => OAuthError;
  /** The one description for failures before the signature is known good. */
  unverifiedFailure: string;
}

/**
 * Runs a check with the keys a client's JWT verifies with: its public keys (ClientKeySets.verifyWith,
 * which may fetch them again) or, for client_secret_jwt, its secret as an `oct` key.
 */
export type ClientVerificationKeys = <T>(check: (keys: ClientJwtKeys) => Promise<T>) => Promise<T>;

/** A JWT a client signed, verified: its claims, and what the replay check needs. */
export interface VerifiedClientJwt {
  claims: JWTPayload;
  jti: string;
  expiresAt: Date;
}

/**
 * A JWT signed by `client` with one of its registered keys: allowed algorithm, `iss` = client_id,
 * `aud` naming this server, the required claims, `exp`/`nbf` with 10 s of leeway, `iat` at most
 * 60 s ahead, a bounded lifetime, a `jti` string. Signature, algorithm and key problems get one
 * description; once the signature is good the claims are the client's own doing and are named.
 * The replay of `jti` is the caller's to check (SpentClientJwts).
 */
export async function verifyClientSignedJwt(
  withKeys: ClientVerificationKeys,
  client: RegisteredClient,
  jwt: string,
  rules: ClientJwtRules,
): Promise<VerifiedClientJwt> {
  let claims: JWTPayload;
  try {
    claims = await withKeys((jwks) =>
      verifyClientJwt(jwt, jwks, {
        algorithms: rules.algorithms,
        issuer: client.clientId,
        subject: rules.subject,
        audiences: rules.audiences,
        requiredClaims: rules.requiredClaims,
        clockToleranceSeconds: CLIENT_JWT_CLOCK_TOLERANCE_SECONDS,
        currentDate: rules.now,
        typIfPresent: rules.typIfPresent,
      }),
    );
  } catch (error) {
    if (error instanceof ClientKeysUnavailable) {
      throw rules.refuse(client.metadata.jwks_uri ? error.message : rules.unverifiedFailure);
    }
    if (!(error instanceof JwtVerificationError)) throw error;
    if (error.code === 'ERR_JWT_EXPIRED') throw rules.refuse(`${rules.name} has expired.`);
    if (error.claim !== undefined) {
      throw rules.refuse(
        `${rules.name}'s ${error.claim} ${error.claim === 'typ' ? 'header' : 'claim'} is missing or not acceptable here.`,
      );
    }
    throw rules.refuse(rules.unverifiedFailure);
  }
  const nowSeconds = Math.floor(rules.now.getTime() / 1000);
  const { seconds, from } = rules.maxLifetime;
  const start = from === 'now' ? nowSeconds : claims.nbf!;
  if (claims.exp! > start + seconds + (from === 'now' ? CLIENT_JWT_CLOCK_TOLERANCE_SECONDS : 0)) {
    throw rules.refuse(
      `${rules.name}'s exp must be at most ${seconds} seconds after ${from === 'now' ? 'now' : 'its nbf'}.`,
    );
  }
  if (claims.iat !== undefined && claims.iat > nowSeconds + MAX_IAT_AHEAD_SECONDS) {
    throw rules.refuse(`${rules.name}'s iat is in the future.`);
  }
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > MAX_JTI_LENGTH) {
    throw rules.refuse(`${rules.name}'s jti must be a string of 1 to ${MAX_JTI_LENGTH} characters.`);
  }
  return { claims, jti: claims.jti, expiresAt: new Date(claims.exp! * 1000) };
}
