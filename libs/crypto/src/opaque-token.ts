import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer secret or identifier: base64url of `bytes` crypto-random bytes (32 = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The stored verifier of a server-generated secret. The secrets carry 256 bits of entropy, so a fast
 * unsalted digest is as safe as a password hash and costs microseconds per request.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two hex digests in time independent of where they differ; malformed hex never matches. */
export function constantTimeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  // Buffer.from stops at the first non-hex character, so a short decode means malformed input.
  const wellFormed = left.length * 2 === a.length && right.length * 2 === b.length;
  return wellFormed && left.length === right.length && timingSafeEqual(left, right);
}
