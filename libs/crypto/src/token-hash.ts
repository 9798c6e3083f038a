import { createHash } from 'node:crypto';

/** The hash of a JWS algorithm for token hashes: its own SHA-2 size, SHA-512 for EdDSA (Ed25519, as OIDC practice has it). */
function hashOfAlgorithm(alg: string): 'sha256' | 'sha384' | 'sha512' {
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'sha512';
  if (alg === 'ES256K') return 'sha256';
  const size = /^(?:ES|PS|RS|HS)(256|384|512)$/.exec(alg)?.[1];
  if (!size) throw new Error(`no token hash is defined for the algorithm ${alg}`);
  return `sha${size}` as 'sha256' | 'sha384' | 'sha512';
}

/**
 * `at_hash` / `rt_hash` of an ID token signed with `alg` (OIDC Core 3.1.3.6, CIBA §10.3.1):
 * base64url of the left-most half of the hash of the token's ASCII octets.
 */
export function tokenHash(token: string, alg: string): string {
  const digest = createHash(hashOfAlgorithm(alg)).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
