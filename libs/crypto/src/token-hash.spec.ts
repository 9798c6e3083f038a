import { createHash } from 'node:crypto';
import { tokenHash } from './token-hash.js';

/** The left-most half of the digest, computed here without the helper under test. */
function leftHalf(algorithm: string, token: string): string {
  const digest = createHash(algorithm).update(Buffer.from(token, 'ascii')).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

describe('tokenHash', () => {
  it('matches the at_hash of the OpenID Connect Core example (Appendix A.4, RS256)', () => {
    expect(tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl';

  it.each([
    ['ES256', 'sha256', 22],
    ['PS256', 'sha256', 22],
    ['RS256', 'sha256', 22],
    ['ES384', 'sha384', 32],
    ['RS384', 'sha384', 32],
    ['ES512', 'sha512', 43],
    ['PS512', 'sha512', 43],
    ['EdDSA', 'sha512', 43],
  ])('uses for %s the left half of %s (%i base64url characters)', (alg, algorithm, length) => {
    const hash = tokenHash(token, alg);

    expect(hash).toBe(leftHalf(algorithm, token));
    expect(hash).toHaveLength(length);
  });

  it('differs for tokens that differ in one character', () => {
    expect(tokenHash(`${token}A`, 'ES256')).not.toBe(tokenHash(`${token}B`, 'ES256'));
  });

  it('refuses an algorithm it has no hash for', () => {
    expect(() => tokenHash(token, 'none')).toThrow('no token hash is defined for the algorithm none');
    expect(() => tokenHash(token, 'ES1024')).toThrow(/no token hash/);
  });
});
