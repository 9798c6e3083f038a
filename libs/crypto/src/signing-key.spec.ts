import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import { generateSigningKey, openSigningKey } from './signing-key.js';

describe('signing keys at rest', () => {
  const keyEncryptionKey = randomBytes(32);

  it('generates an ES256 key whose kid is the RFC 7638 thumbprint of its public key', async () => {
    const stored = await generateSigningKey('ES256', keyEncryptionKey);

    const { kty, crv, x, y } = stored.publicJwk;
    expect(stored.kid).toBe(await calculateJwkThumbprint({ kty, crv, x, y } as JWK, 'sha256'));
    expect(stored.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x, y, kid: stored.kid, alg: 'ES256', use: 'sig' });
    expect(stored.publicJwk).not.toHaveProperty('d');
  });

  it('seals the private JWK as a JWE (dir, A256GCM) that carries the kid and no plaintext key', async () => {
    const stored = await generateSigningKey('ES256', keyEncryptionKey);

    expect(stored.sealedPrivateJwk.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(stored.sealedPrivateJwk)).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      cty: 'jwk+json',
      kid: stored.kid,
    });
    const ciphertext = Buffer.from(stored.sealedPrivateJwk.split('.')[3]!, 'base64url').toString('latin1');
    expect(ciphertext).not.toContain('"d"');
    expect(ciphertext).not.toContain(stored.publicJwk.x);
  });

  it('opens a sealed key into a private key that signs for the public key', async () => {
    const stored = await generateSigningKey('ES256', keyEncryptionKey);

    const key = await openSigningKey(stored, keyEncryptionKey);
    const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(key.privateKey);

    expect(key).toMatchObject({ kid: stored.kid, alg: 'ES256' });
    expect(key.privateKey.extractable).toBe(false);
    await expect(jwtVerify(token, stored.publicJwk)).resolves.toMatchObject({ payload: { sub: 'x' } });
  });

  it('does not open with another key-encryption key', async () => {
    const stored = await generateSigningKey('ES256', keyEncryptionKey);

    await expect(openSigningKey(stored, randomBytes(32))).rejects.toThrow();
  });

  it('does not open a sealed private key stored under another kid', async () => {
    const stored = await generateSigningKey('ES256', keyEncryptionKey);
    const other = await generateSigningKey('ES256', keyEncryptionKey);

    await expect(
      openSigningKey({ ...stored, sealedPrivateJwk: other.sealedPrivateJwk }, keyEncryptionKey),
    ).rejects.toThrow(/belongs to another key/);
  });
});
