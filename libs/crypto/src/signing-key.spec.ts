import { randomBytes } from 'node:crypto';
import {
  calculateJwkThumbprint,
  compactDecrypt,
  compactVerify,
  CompactEncrypt,
  decodeProtectedHeader,
  jwtVerify,
  type JWK,
} from 'jose';
import { KeyRing, SealedPayloadError } from './key-ring.js';
import { generateSigningKey, openSigningKey, signCompact } from './signing-key.js';

describe('signing keys at rest', () => {
  const keyRing = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);

  it('generates an ES256 key whose kid is the RFC 7638 thumbprint of its public key', async () => {
    const stored = await generateSigningKey('ES256', keyRing);

    const { kty, crv, x, y } = stored.publicJwk;
    expect(stored.kid).toBe(await calculateJwkThumbprint({ kty, crv, x, y } as JWK, 'sha256'));
    expect(stored.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x, y, kid: stored.kid, alg: 'ES256', use: 'sig' });
    expect(stored.publicJwk).not.toHaveProperty('d');
  });

  it('seals the private JWK as a JWE (dir, A256GCM) naming the key-encryption key, bound to its kid, with no plaintext key', async () => {
    const stored = await generateSigningKey('ES256', keyRing);

    expect(stored.sealedPrivateJwk.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(stored.sealedPrivateJwk)).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      cty: 'jwk+json',
      kid: 'k1',
      bnd: stored.kid,
    });
    const ciphertext = Buffer.from(stored.sealedPrivateJwk.split('.')[3]!, 'base64url').toString('latin1');
    expect(ciphertext).not.toContain('"d"');
    expect(ciphertext).not.toContain(stored.publicJwk.x);
  });

  it('opens a sealed key into a private key that signs, as a JWS jose verifies with the public key', async () => {
    const stored = await generateSigningKey('ES256', keyRing);

    const key = await openSigningKey(stored, keyRing);
    const token = signCompact(key, 'at+jwt', JSON.stringify({ sub: 'x', exp: 4_000_000_000 }));

    expect(key).toMatchObject({ kid: stored.kid, alg: 'ES256' });
    await expect(jwtVerify(token, stored.publicJwk, { typ: 'at+jwt' })).resolves.toMatchObject({
      payload: { sub: 'x' },
      protectedHeader: { alg: 'ES256', kid: stored.kid, typ: 'at+jwt' },
    });
    // RFC 7518 §3.4: R || S, 32 bytes each, not DER
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
  });

  it('signs bytes that jose verifies, and a changed payload that it refuses', async () => {
    const stored = await generateSigningKey('ES256', keyRing);
    const key = await openSigningKey(stored, keyRing);

    const signed = signCompact(key, 'backchannel-checkpoint+jws', 'digest');
    const [header, , signature] = signed.split('.');
    const forged = `${header}.${Buffer.from('other').toString('base64url')}.${signature}`;

    const verified = await compactVerify(signed, stored.publicJwk);
    expect(new TextDecoder().decode(verified.payload)).toBe('digest');
    await expect(compactVerify(forged, stored.publicJwk)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('does not open with another key-encryption key', async () => {
    const stored = await generateSigningKey('ES256', keyRing);

    const other = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);

    await expect(openSigningKey(stored, other)).rejects.toBeInstanceOf(SealedPayloadError);
  });

  it('does not open a sealed private key stored under another kid', async () => {
    const stored = await generateSigningKey('ES256', keyRing);
    const other = await generateSigningKey('ES256', keyRing);

    await expect(openSigningKey({ ...stored, sealedPrivateJwk: other.sealedPrivateJwk }, keyRing)).rejects.toThrow(
      'the sealed value belongs to another owner',
    );
  });

  it('opens a key sealed before key rings: no key-encryption kid, its own kid in kid, under the initial key', async () => {
    const key = randomBytes(32);
    const stored = await generateSigningKey('ES256', new KeyRing([{ kid: 'k1', key }]));
    const { plaintext } = await compactDecrypt(stored.sealedPrivateJwk, key);
    const legacy = await new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'jwk+json', kid: stored.kid })
      .encrypt(key);
    const ring = new KeyRing([
      { kid: 'initial', key },
      { kid: 'k2', key: randomBytes(32) },
    ]);

    await expect(openSigningKey({ ...stored, sealedPrivateJwk: legacy }, ring)).resolves.toMatchObject({
      kid: stored.kid,
    });
    await expect(openSigningKey({ ...stored, kid: 'another', sealedPrivateJwk: legacy }, ring)).rejects.toBeInstanceOf(
      SealedPayloadError,
    );
  });
});
