import { type JWK, JwtVerificationError, type JWTPayload, verifyClientJwt } from '@backchannel/crypto';
import type { ClientSigningAlgorithm } from '@backchannel/events';
import { InvalidClient } from '@backchannel/oauth';
import { CLIENT_AUTHENTICATION_FAILED } from './client-credentials.js';
import { CLIENT_SIGNING_ALGORITHMS } from './client-keys.js';
import type { RegisteredClient } from './registered-client.js';

/** A client assertion is made for one request: it may not be valid for longer than this. */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 600;
/** Clocks differ: `exp` and `nbf` are judged with this much leeway (FAPI 2: 10 s). */
const CLOCK_TOLERANCE_SECONDS = 10;
/** FAPI 2: an `iat` more than 60 s in the future is refused. */
const MAX_IAT_AHEAD_SECONDS = 60;
const MAX_JTI_LENGTH = 512;

export interface AssertionContext {
  /** Values `aud` may hold to name this server: the issuer and the endpoints' URLs. */
  audiences: readonly string[];
  now: Date;
}

/** A verified assertion: its client, and what the replay check needs. */
export interface VerifiedAssertion {
  client: RegisteredClient;
  jti: string;
  expiresAt: Date;
}

/**
 * RFC 7523 §3 and OIDC Core §9 for private_key_jwt: signed with one of the client's registered
 * keys, by an allowed algorithm (the registered token_endpoint_auth_signing_alg, or PS256, ES256,
 * EdDSA; never none, HS* or RS*), `iss` = `sub` = client_id, `aud` naming this server, `exp`
 * present and at most CLIENT_ASSERTION_MAX_LIFETIME_SECONDS ahead, `jti` present. The replay of
 * `jti` is checked by the caller (SpentClientJwts), across replicas.
 */
export async function verifyClientAssertion(
  client: RegisteredClient | null,
  assertion: string,
  context: AssertionContext,
): Promise<VerifiedAssertion> {
  const { metadata } = client ?? {};
  if (!client || metadata?.token_endpoint_auth_method !== 'private_key_jwt' || !metadata.jwks) {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
  }
  const algorithms: readonly ClientSigningAlgorithm[] = metadata.token_endpoint_auth_signing_alg
    ? [metadata.token_endpoint_auth_signing_alg]
    : CLIENT_SIGNING_ALGORITHMS;
  let payload: JWTPayload;
  try {
    payload = await verifyClientJwt(assertion, metadata.jwks as { keys: JWK[] }, {
      algorithms,
      issuer: client.clientId,
      subject: client.clientId,
      audiences: context.audiences,
      requiredClaims: ['exp', 'jti'],
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
      currentDate: context.now,
    });
  } catch (error) {
    throw new InvalidClient(describeFailure(error));
  }
  const nowSeconds = Math.floor(context.now.getTime() / 1000);
  if (payload.exp! > nowSeconds + CLIENT_ASSERTION_MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
    throw new InvalidClient(
      `The client assertion's exp must be at most ${CLIENT_ASSERTION_MAX_LIFETIME_SECONDS} seconds ahead.`,
    );
  }
  if (payload.iat !== undefined && payload.iat > nowSeconds + MAX_IAT_AHEAD_SECONDS) {
    throw new InvalidClient("The client assertion's iat is in the future.");
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > MAX_JTI_LENGTH) {
    throw new InvalidClient(`The client assertion's jti must be a string of 1 to ${MAX_JTI_LENGTH} characters.`);
  }
  return { client, jti: payload.jti, expiresAt: new Date(payload.exp! * 1000) };
}

/**
 * Signature, algorithm and key problems get the one description; once the signature is good, the
 * claims' defects are the client's own business and are named.
 */
function describeFailure(error: unknown): string {
  if (!(error instanceof JwtVerificationError)) throw error;
  if (error.code === 'ERR_JWT_EXPIRED') return 'The client assertion has expired.';
  if (error.claim !== undefined)
    return `The client assertion's ${error.claim} claim is missing or not acceptable here.`;
  return CLIENT_AUTHENTICATION_FAILED;
}
