import { generateKeyPairSync } from 'node:crypto';
import { InvalidClientMetadata } from '@backchannel/oauth';
import { newClientKey } from '@backchannel/testing';
import { parseClientJwks, signingAlgorithmOf } from './client-keys.js';

function problem(jwks: unknown): string {
  try {
    parseClientJwks(jwks);
  } catch (error) {
    if (error instanceof InvalidClientMetadata) return error.description;
    throw error;
  }
  throw new Error('the key set was accepted');
}

describe('parseClientJwks', () => {
  const es256 = newClientKey('ES256', 'ec-1');
  const ps256 = newClientKey('PS256', 'rsa-1');
  const eddsa = newClientKey('EdDSA', 'ed-1');

  it('accepts RSA, EC P-256 and Ed25519 public keys, each for its algorithm', () => {
    const jwks = { keys: [es256.publicJwk, ps256.publicJwk, eddsa.publicJwk] };
    expect(parseClientJwks(jwks)).toEqual(jwks);
    expect(jwks.keys.map((key) => signingAlgorithmOf(key as never))).toEqual(['ES256', 'PS256', 'EdDSA']);
  });

  it('accepts a key with its matching alg and without kid or use', () => {
    const { kid: _kid, use: _use, ...bare } = es256.publicJwk;
    expect(parseClientJwks({ keys: [{ ...bare, alg: 'ES256' }] }).keys).toHaveLength(1);
  });

  it.each([
    ['not an object', 'keys', 'jwks must be a JSON Web Key Set: an object with a keys array'],
    ['an array', [], 'jwks must be a JSON Web Key Set: an object with a keys array'],
    ['keys not an array', { keys: {} }, 'jwks must be a JSON Web Key Set: an object with a keys array'],
    ['no keys', { keys: [] }, 'jwks must hold between 1 and 10 keys'],
    [
      'eleven keys',
      { keys: Array.from({ length: 11 }, () => es256.publicJwk) },
      'jwks must hold between 1 and 10 keys',
    ],
  ])('refuses %s', (_, jwks, description) => {
    expect(problem(jwks)).toBe(description);
  });

  it('refuses private key material: an EC private key, an RSA private key, a symmetric key', () => {
    const ecPrivate = { ...es256.privateKey.export({ format: 'jwk' }), kid: 'x' };
    const rsaPrivate = ps256.privateKey.export({ format: 'jwk' });
    for (const key of [ecPrivate, rsaPrivate, { kty: 'oct', k: 'c2VjcmV0' }]) {
      expect(problem({ keys: [key] })).toMatch(/^jwks key 0 (holds private or symmetric key material|must be)/);
    }
    expect(problem({ keys: [ecPrivate] })).toBe(
      'jwks key 0 holds private or symmetric key material: register public keys only',
    );
  });

  it('refuses keys it cannot verify FAPI algorithms with', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(problem({ keys: [p384] })).toBe('jwks key 0 must be an RSA, EC P-256 or Ed25519 public key');
    expect(problem({ keys: [x25519] })).toBe('jwks key 0 must be an RSA, EC P-256 or Ed25519 public key');
    expect(problem({ keys: [rsa1024] })).toBe('jwks key 0 is an RSA key of fewer than 2048 bits');
    expect(problem({ keys: ['key'] })).toBe('jwks key 0 is not a JSON object');
  });

  it('refuses a key whose alg or use does not fit, a bad kid, and a kid used twice', () => {
    expect(problem({ keys: [{ ...ps256.publicJwk, alg: 'RS256' }] })).toBe(
      'jwks key 0 alg must be PS256 for this key (supported: PS256, ES256, EdDSA)',
    );
    expect(problem({ keys: [{ ...es256.publicJwk, use: 'enc' }] })).toBe("jwks key 0 use must be 'sig'");
    expect(problem({ keys: [{ ...es256.publicJwk, kid: 7 }] })).toBe(
      'jwks key 0 kid must be 1 to 200 printable ASCII characters',
    );
    expect(problem({ keys: [es256.publicJwk, { ...eddsa.publicJwk, kid: 'ec-1' }] })).toBe(
      'jwks key 1: kid is not unique',
    );
  });

  it('refuses a kid with a NUL or a lone surrogate, which PostgreSQL could not store', () => {
    for (const kid of ['k\u0000', 'k\ud800', '']) {
      expect(problem({ keys: [{ ...es256.publicJwk, kid }] })).toBe(
        'jwks key 0 kid must be 1 to 200 printable ASCII characters',
      );
    }
  });

  it('keeps only the members verification uses', () => {
    const sent = { ...es256.publicJwk, alg: 'ES256', x5u: 'https://x.example', note: 'k\ud800' };
    expect(parseClientJwks({ keys: [sent] }).keys).toEqual([{ ...es256.publicJwk, alg: 'ES256' }]);
  });

  it('refuses a key whose members do not make a public key', () => {
    expect(problem({ keys: [{ ...es256.publicJwk, x: 'AAAA' }] })).toBe('jwks key 0 is not a valid public key');
  });
});
