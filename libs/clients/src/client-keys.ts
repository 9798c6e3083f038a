import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { ClientPublicJwk, ClientSigningAlgorithm } from '@backchannel/events';
import { InvalidClientMetadata } from '@backchannel/oauth';
import { x5cProblem } from './client-certificate.js';

/** What a client may sign with (FAPI 1 Advanced and FAPI 2: PS256, ES256; FAPI 2 also EdDSA). */
export const CLIENT_SIGNING_ALGORITHMS: readonly ClientSigningAlgorithm[] = ['PS256', 'ES256', 'EdDSA'];

/** Enough for key rotation (old, current, next) with room to spare; more is a mistake or abuse. */
const MAX_KEYS = 10;
const MIN_RSA_MODULUS_BITS = 2048;
const KID_SYNTAX = /^[\x20-\x7E]{1,200}$/;
/** The members kept: what verification needs; anything else a client sends is dropped, not stored. */
const KEPT_MEMBERS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y', 'x5c'];
/** Members only a private or symmetric key has (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The algorithm each accepted key type and curve is used with (null: not a key we accept). */
export function signingAlgorithmOf(key: ClientPublicJwk): ClientSigningAlgorithm | null {
  if (key.kty === 'RSA') return 'PS256';
  if (key.kty === 'EC' && key.crv === 'P-256') return 'ES256';
  if (key.kty === 'OKP' && key.crv === 'Ed25519') return 'EdDSA';
  return null;
}

function rsaModulusBits(key: ClientPublicJwk): number {
  const modulus = typeof key.n === 'string' ? Buffer.from(key.n, 'base64url') : Buffer.alloc(0);
  const significant = modulus.subarray(modulus.findIndex((byte) => byte !== 0));
  return significant.length === 0 ? 0 : (significant.length - 1) * 8 + Math.floor(Math.log2(significant[0]!)) + 1;
}

/**
 * RFC 7591 `jwks` as registered: an object with `keys`, each a public signing key this server can
 * verify (RSA of at least 2048 bits for PS256, EC P-256 for ES256, Ed25519 for EdDSA), no private
 * or symmetric key material, `use` (when present) `sig`, `alg` (when present) the key's algorithm,
 * `kid`s unique. Returns the keys with only the members verification uses.
 */
export function parseClientJwks(input: unknown): { keys: ClientPublicJwk[] } {
  const keys = (input as { keys?: unknown } | null)?.keys;
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !Array.isArray(keys)) {
    throw new InvalidClientMetadata('jwks must be a JSON Web Key Set: an object with a keys array');
  }
  if (keys.length === 0 || keys.length > MAX_KEYS) {
    throw new InvalidClientMetadata(`jwks must hold between 1 and ${MAX_KEYS} keys`);
  }
  const kids = new Set<string>();
  for (const [index, key] of keys.entries()) {
    const problem = keyProblem(key);
    if (problem) throw new InvalidClientMetadata(`jwks key ${index} ${problem}`);
    const { kid } = key as ClientPublicJwk;
    if (kid !== undefined) {
      if (kids.has(kid)) throw new InvalidClientMetadata(`jwks key ${index}: kid is not unique`);
      kids.add(kid);
    }
  }
  return { keys: (keys as ClientPublicJwk[]).map(keptMembers) };
}

function keptMembers(key: ClientPublicJwk): ClientPublicJwk {
  return Object.fromEntries(Object.entries(key).filter(([member]) => KEPT_MEMBERS.includes(member))) as ClientPublicJwk;
}

function keyProblem(input: unknown): string | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'is not a JSON object';
  const key = input as ClientPublicJwk;
  if (PRIVATE_MEMBERS.some((member) => member in key)) {
    return 'holds private or symmetric key material: register public keys only';
  }
  const algorithm = signingAlgorithmOf(key);
  if (algorithm === null) return 'must be an RSA, EC P-256 or Ed25519 public key';
  if (key.kid !== undefined && (typeof key.kid !== 'string' || !KID_SYNTAX.test(key.kid))) {
    return 'kid must be 1 to 200 printable ASCII characters';
  }
  if (key.use !== undefined && key.use !== 'sig') return "use must be 'sig'";
  if (key.alg !== undefined && key.alg !== algorithm) {
    return `alg must be ${algorithm} for this key (supported: ${CLIENT_SIGNING_ALGORITHMS.join(', ')})`;
  }
  if (key.kty === 'RSA' && rsaModulusBits(key) < MIN_RSA_MODULUS_BITS) {
    return `is an RSA key of fewer than ${MIN_RSA_MODULUS_BITS} bits`;
  }
  try {
    createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  } catch {
    return 'is not a valid public key';
  }
  return x5cProblem(key);
}
