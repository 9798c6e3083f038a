import { type JsonWebKey, type KeyObject, createPrivateKey, sign } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyRing } from './key-ring.js';

/** JWS algorithms the server signs with and accepts on its own tokens. */
export const SIGNING_ALGORITHMS = ['ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A key ready to sign with; the private half never leaves this library in the clear. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
}

/** How node:crypto makes each algorithm's JWS signature (RFC 7518 §3.4: ECDSA as R || S). */
const SIGNATURE_OPTIONS = {
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
} as const satisfies Record<SigningAlgorithm, { hash: string; dsaEncoding: 'ieee-p1363' }>;

/**
 * A JWS compact serialization (RFC 7515 §7.1) of `payload`, its header naming the key's alg and
 * kid and `typ`. Signed with node:crypto, synchronously: jose signs through WebCrypto, whose every
 * call is a job handed to libuv's thread pool and back, about twice the CPU of the signature
 * itself (docs/performance.md). jose verifies what this signs (signing-key.spec.ts).
 */
export function signCompact(key: SigningKey, typ: string, payload: Uint8Array | string): string {
  const header = JSON.stringify({ alg: key.alg, kid: key.kid, typ });
  const signingInput = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  const { hash, dsaEncoding } = SIGNATURE_OPTIONS[key.alg];
  const signature = sign(hash, Buffer.from(signingInput, 'ascii'), { key: key.privateKey, dsaEncoding });
  return `${signingInput}.${signature.toString('base64url')}`;
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
  const privateJwk = JSON.parse(new TextDecoder().decode(plaintext)) as JsonWebKey;
  return { kid: stored.kid, alg: stored.alg, privateKey: createPrivateKey({ key: privateJwk, format: 'jwk' }) };
}
