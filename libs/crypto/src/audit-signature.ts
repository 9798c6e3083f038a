import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import { type SigningKey, type StoredSigningKey, generateSigningKey, openSigningKey } from './signing-key.js';

/** The JWS type of a signed audit checkpoint, so no other signature of ours can pass for one. */
const CHECKPOINT_TYP = 'backchannel-checkpoint+jws';

/** A new audit key (ES256), its private half sealed with the key-encryption key, as the token keys are. */
export function generateAuditKey(keyEncryptionKey: Uint8Array): Promise<StoredSigningKey> {
  return generateSigningKey('ES256', keyEncryptionKey);
}

export function openAuditKey(stored: StoredSigningKey, keyEncryptionKey: Uint8Array): Promise<SigningKey> {
  return openSigningKey(stored, keyEncryptionKey);
}

/** A compact JWS over a checkpoint's digest. */
export function signCheckpointDigest(key: SigningKey, digest: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(digest))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYP })
    .sign(key.privateKey);
}

/** The digest a checkpoint signature signs, when it verifies with this public key; null otherwise. */
export async function verifyCheckpointSignature(signature: string, publicJwk: JWK): Promise<string | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(signature, await importJWK(publicJwk, 'ES256'), {
      algorithms: ['ES256'],
    });
    return protectedHeader.typ === CHECKPOINT_TYP ? new TextDecoder().decode(payload) : null;
  } catch {
    return null;
  }
}
