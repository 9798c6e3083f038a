import { type KeyObject, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { JwtVerificationError, verifyJwt } from './jwt-verification.js';
import { KeyRing } from './key-ring.js';
import { generateSigningKey, openSigningKey, type SigningKey, type StoredSigningKey } from './signing-key.js';

describe('verifyJwt', () => {
  const issuer = 'https://as.example.com';
  const audience = 'client-1';
  const now = new Date('2026-11-21T10:00:00.000Z');
  let stored: StoredSigningKey;
  let key: SigningKey;

  beforeAll(async () => {
    const keyRing = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);
    stored = await generateSigningKey('ES256', keyRing);
    key = await openSigningKey(stored, keyRing);
  });

  function signed(
    privateKey: CryptoKey | KeyObject,
    header: { alg: string; kid: string; typ?: string },
    claims: JWTPayload = { sub: 'user-1' },
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader(header)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(new Date(now.getTime() + 60_000))
      .sign(privateKey);
  }

  function token(header: { typ?: string } = { typ: 'JWT' }): Promise<string> {
    return signed(key.privateKey, { alg: 'ES256', kid: key.kid, ...header });
  }

  function verify(
    jwt: string,
    expected: { issuer?: string; audience?: string; typ?: string; currentDate?: Date } = {},
  ) {
    return verifyJwt(jwt, { keys: [stored.publicJwk] }, { issuer, audience, currentDate: now, ...expected });
  }

  it('returns the payload of a valid token', async () => {
    await expect(verify(await token(), { typ: 'JWT' })).resolves.toMatchObject({
      iss: issuer,
      aud: audience,
      sub: 'user-1',
    });
  });

  it('rejects another issuer', async () => {
    await expect(verify(await token(), { issuer: 'https://other.example.com' })).rejects.toMatchObject({
      name: 'JwtVerificationError',
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    });
  });

  it('rejects another audience', async () => {
    await expect(verify(await token(), { audience: 'client-2' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      message: expect.stringContaining('aud'),
    });
  });

  it('rejects another typ, and a missing typ when one is expected', async () => {
    await expect(verify(await token({ typ: 'JWT' }), { typ: 'at+jwt' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      message: expect.stringContaining('typ'),
    });
    await expect(verify(await token({}), { typ: 'at+jwt' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    });
  });

  it('rejects an expired token', async () => {
    await expect(verify(await token(), { currentDate: new Date(now.getTime() + 61_000) })).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
  });

  it('rejects a token without a required claim', async () => {
    const withoutSubject = await signed(key.privateKey, { alg: 'ES256', kid: key.kid }, {});

    await expect(verify(withoutSubject)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });

  it('rejects algorithms outside the allow-list, even with a matching key in the set', async () => {
    const es384 = await generateKeyPair('ES384');
    const es384Jwk: JWK = { ...(await exportJWK(es384.publicKey)), kid: 'es384', alg: 'ES384' };
    const es384Token = await signed(es384.privateKey, { alg: 'ES384', kid: 'es384' });

    await expect(
      verifyJwt(es384Token, { keys: [stored.publicJwk, es384Jwk] }, { issuer, audience, currentDate: now }),
    ).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });

  it('rejects an unsecured (alg none) token', async () => {
    const unsecured = new UnsecuredJWT({ sub: 'user-1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(new Date(now.getTime() + 60_000))
      .encode();

    await expect(verify(unsecured)).rejects.toBeInstanceOf(JwtVerificationError);
  });

  it('rejects a token whose signature does not match', async () => {
    const [header, , signature] = (await token()).split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'admin', iss: issuer, aud: audience })).toString(
      'base64url',
    );

    await expect(verify(`${header}.${forgedPayload}.${signature}`)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });
});
