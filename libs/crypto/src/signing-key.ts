import {
  calculateJwkThumbprint,
  compactDecrypt,
  CompactEncrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWK_EC_Private,
} from 'jose';

/** JWS algorithms the server signs with and accepts on its own tokens. */
export const SIGNING_ALGORITHMS = ['ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A key ready to sign with; the private half never leaves this library in the clear. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

/** A signing key as stored in `signing_keys`: the private JWK sealed with the key-encryption key. */
export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Carries `kid`, `alg` and `use: sig`, as published in the JWKS. */
  publicJwk: JWK;
  /** JWE compact serialization (dir + A256GCM) of the private JWK. */
  sealedPrivateJwk: string;
}

export const KEY_ENCRYPTION_KEY_BYTES = 32;

/** Generates a key pair whose kid is the RFC 7638 thumbprint of its public key. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  keyEncryptionKey: Uint8Array,
): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicParameters = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicParameters, 'sha256');
  const sealedPrivateJwk = await new CompactEncrypt(
    new TextEncoder().encode(JSON.stringify(await exportJWK(privateKey))),
  )
    // kid in the protected header is authenticated, so a sealed key copied to another row fails to open.
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'jwk+json', kid })
    .encrypt(keyEncryptionKey);
  return { kid, alg, publicJwk: { ...publicParameters, kid, alg, use: 'sig' }, sealedPrivateJwk };
}

/** Decrypts a stored key's private half; fails if the key-encryption key or the kid does not match. */
export async function openSigningKey(stored: StoredSigningKey, keyEncryptionKey: Uint8Array): Promise<SigningKey> {
  const { plaintext, protectedHeader } = await compactDecrypt(stored.sealedPrivateJwk, keyEncryptionKey, {
    keyManagementAlgorithms: ['dir'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  if (protectedHeader.kid !== stored.kid) {
    throw new Error(`the sealed private key stored under kid ${stored.kid} belongs to another key`);
  }
  const privateJwk = JSON.parse(new TextDecoder().decode(plaintext)) as JWK_EC_Private & { kty: 'EC' };
  return {
    kid: stored.kid,
    alg: stored.alg,
    privateKey: await importJWK(privateJwk, stored.alg, { extractable: false }),
  };
}
