import { type KeyObject, generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export type ClientKeyAlgorithm = 'PS256' | 'ES256' | 'EdDSA' | 'RS256';

/** A client's signing key: the private half to sign with, the public JWK to register. */
export interface ClientKey {
  alg: ClientKeyAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

/** A new key pair of the type the algorithm needs (RSA 2048 for PS256 and RS256). */
export function newClientKey(alg: ClientKeyAlgorithm = 'ES256', kid: string = randomUUID()): ClientKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { alg, kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

export interface AssertionOptions {
  clientId: string;
  audience: string | string[];
  /** Claims to add or replace (`undefined` removes one); defaults: iss, sub, aud, jti, iat, exp in 60 s. */
  claims?: Record<string, unknown>;
  /** Protected header members to add or replace (e.g. another alg). */
  header?: Record<string, unknown>;
  now?: Date;
}

/** An RFC 7523 client assertion signed with `key`, the claims as a client library would set them. */
export async function clientAssertion(key: ClientKey, options: AssertionOptions): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.clientId,
    sub: options.clientId,
    aud: options.audience,
    jti: randomUUID(),
    iat: now,
    exp: now + 60,
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...options.header })
    .sign(key.privateKey);
}
