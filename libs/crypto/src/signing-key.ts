import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWK_EC_Private,
} from 'jose';
import type { KeyRing } from './key-ring.js';

/** JWS algorithms the server signs with and accepts on its own tokens. */
export const SIGNING_ALGORITHMS = ['ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A key ready to sign with; the private half never leaves this library in the clear. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

/** A signing key as stored in `signing_keys`: the private JWK sealed with a key-encryption key. */
export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Carries `kid`, `alg` and `use: sig`, as published in the JWKS. */
  publicJwk: JWK;
  /** JWE compact serialization (dir + A256GCM, the key ring's newest key) of the private JWK. */
  sealedPrivateJwk: string;
}

/** Generates a key pair whose kid is the RFC 7638 thumbprint of its public key. */
export async function generateSigningKey(alg: SigningAlgorithm, keyRing: KeyRing): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicParameters = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicParameters, 'sha256');
  // bound to its kid, so a sealed key copied to another row fails to open
  const sealedPrivateJwk = await keyRing.seal(
    new TextEncoder().encode(JSON.stringify(await exportJWK(privateKey))),
    'jwk+json',
    kid,
  );
  return { kid, alg, publicJwk: { ...publicParameters, kid, alg, use: 'sig' }, sealedPrivateJwk };
}

/** Decrypts a stored key's private half; SealedPayloadError if no key of the ring opens it, or it belongs to another kid. */
export async function openSigningKey(stored: StoredSigningKey, keyRing: KeyRing): Promise<SigningKey> {
  const plaintext = await keyRing.open(stored.sealedPrivateJwk, stored.kid);
  const privateJwk = JSON.parse(new TextDecoder().decode(plaintext)) as JWK_EC_Private & { kty: 'EC' };
  return {
    kid: stored.kid,
    alg: stored.alg,
    privateKey: await importJWK(privateJwk, stored.alg, { extractable: false }),
  };
}
