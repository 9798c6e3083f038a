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
export function clientAssertion(key: ClientKey, options: AssertionOptions): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const defaults = { iss: options.clientId, sub: options.clientId, aud: options.audience, jti: randomUUID(), iat: now };
  return signClientJwt(key, { ...defaults, exp: now + 60, ...options.claims }, options.header);
}

export interface SignedRequestOptions {
  clientId: string;
  issuer: string;
  /** The authentication request's parameters (scope, login_hint, ...). */
  params: Record<string, unknown>;
  /** Claims to add or replace (`undefined` removes one); defaults: aud, iss, jti, iat, nbf now, exp in 5 min. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  now?: Date;
}

/** A CIBA §7.1.1 signed authentication request, `typ` oauth-authz-req+jwt unless the header says otherwise. */
export function signedAuthenticationRequest(key: ClientKey, options: SignedRequestOptions): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const defaults = {
    aud: options.issuer,
    iss: options.clientId,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 300,
  };
  return signClientJwt(
    key,
    { ...options.params, ...defaults, ...options.claims },
    { typ: 'oauth-authz-req+jwt', ...options.header },
  );
}

/** Signs `claims` with `key` (alg and kid from the key; `header` adds or replaces); `undefined` claims and header members are left out. */
function signClientJwt(key: ClientKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const defined = (members: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined));
  return new SignJWT(defined(claims) as JWTPayload)
    .setProtectedHeader(defined({ alg: key.alg, kid: key.kid, ...header }) as { alg: string })
    .sign(key.privateKey);
}
