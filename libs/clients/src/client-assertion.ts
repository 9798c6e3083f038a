import { InvalidClient } from '@backchannel/oauth';
import { CLIENT_AUTHENTICATION_FAILED } from './client-credentials.js';
import { clientSigningAlgorithms } from './fapi-ciba-profile.js';
import type { ClientKeySets } from './client-key-sets.js';
import { type ClientVerificationKeys, verifyClientSignedJwt } from './client-signed-jwt.js';
import type { RegisteredClient } from './registered-client.js';

/** A client assertion is made for one request: it may not be valid for longer than this. */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 600;

export interface AssertionContext {
  /** The client's keys, by value or from its jwks_uri (private_key_jwt). */
  keySets: ClientKeySets;
  /** The client's secret, as the MAC key (client_secret_jwt): opened only when such a client asserts. */
  secretKey: (client: RegisteredClient) => Promise<Uint8Array>;
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
 * RFC 7523 §3 and OIDC Core §9 for private_key_jwt and client_secret_jwt: signed with one of the
 * client's registered keys, by an allowed algorithm (the registered token_endpoint_auth_signing_alg,
 * or PS256, ES256, EdDSA; never none, HS* or RS*), or, for client_secret_jwt, an HS256 MAC with its
 * secret (never an asymmetric algorithm, which would let its public keys stand in for the secret);
 * `iss` = `sub` = client_id, `aud` naming this server, `exp` present and at most
 * CLIENT_ASSERTION_MAX_LIFETIME_SECONDS ahead, `jti` present. The replay of `jti` is checked by
 * the caller (SpentClientJwts), across replicas.
 */
export async function verifyClientAssertion(
  client: RegisteredClient | null,
  assertion: string,
  context: AssertionContext,
): Promise<VerifiedAssertion> {
  const method = client?.metadata.token_endpoint_auth_method;
  if (client === null || (method !== 'private_key_jwt' && method !== 'client_secret_jwt')) {
    throw new InvalidClient(CLIENT_AUTHENTICATION_FAILED);
  }
  const bySecret = method === 'client_secret_jwt';
  const keys: ClientVerificationKeys = bySecret
    ? async (check) => check({ secret: await context.secretKey(client) })
    : (check) => context.keySets.verifyWith(client, check);
  const registeredAlgorithm = client.metadata.token_endpoint_auth_signing_alg;
  const allowed = clientSigningAlgorithms(client);
  const { jti, expiresAt } = await verifyClientSignedJwt(keys, client, assertion, {
    name: 'The client assertion',
    algorithms: bySecret
      ? ['HS256']
      : registeredAlgorithm
        ? allowed.filter((algorithm) => algorithm === registeredAlgorithm)
        : allowed,
    audiences: context.audiences,
    subject: client.clientId,
    requiredClaims: ['exp', 'jti'],
    maxLifetime: { seconds: CLIENT_ASSERTION_MAX_LIFETIME_SECONDS, from: 'now' },
    now: context.now,
    refuse: (description) => new InvalidClient(description),
    unverifiedFailure: CLIENT_AUTHENTICATION_FAILED,
  });
  return { client, jti, expiresAt };
}
