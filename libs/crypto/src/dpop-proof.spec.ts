import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { DpopNonces, DPOP_NONCE_WINDOW_SECONDS } from './dpop-nonces.service.js';
import { DpopProofError, verifyDpopProof, type ExpectedDpopProof } from './dpop-proof.js';

const TOKEN_URL = 'https://as.example.com/token';
const now = new Date('2026-12-06T10:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

interface Signer {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signer(alg: 'ES256' | 'PS256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: await exportJWK(publicKey) };
}

/** A proof as a client would make it, with any member overridden or removed (undefined). */
function proof(
  key: Signer,
  options: { alg?: string; header?: Record<string, unknown>; claims?: JWTPayload } = {},
): Promise<string> {
  const claims: JWTPayload = { jti: randomUUID(), htm: 'POST', htu: TOKEN_URL, iat: nowSeconds, ...options.claims };
  const header = { alg: options.alg ?? 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...options.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

function expected(overrides: Partial<ExpectedDpopProof> = {}): ExpectedDpopProof {
  return { method: 'POST', urls: [TOKEN_URL], now, ...overrides };
}

async function refusal(compact: string | string[], expectation = expected()): Promise<DpopProofError> {
  const error: unknown = await verifyDpopProof(compact, expectation).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof DpopProofError)) throw new Error(`expected a DpopProofError, got ${String(error)}`);
  return error;
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  let es256: Signer;

  beforeAll(async () => {
    es256 = await signer('ES256');
  });

  it('accepts a proof for this request and gives its key thumbprint and how long its jti must be kept', async () => {
    const verified = await verifyDpopProof(await proof(es256, { claims: { jti: 'jti-1' } }), expected());

    expect(verified.jkt).toBe(await calculateJwkThumbprint(es256.jwk, 'sha256'));
    expect(verified.jti).toBe('jti-1');
    expect(verified.issuedAt).toEqual(now);
    expect(verified.acceptedUntil.getTime()).toBeGreaterThan(now.getTime());
  });

  it.each(['PS256', 'EdDSA'] as const)('accepts %s proofs', async (alg) => {
    const key = await signer(alg);
    await expect(verifyDpopProof(await proof(key, { alg }), expected())).resolves.toMatchObject({
      jkt: await calculateJwkThumbprint(key.jwk, 'sha256'),
    });
  });

  it('refuses more than one proof, and anything that is not a compact JWS', async () => {
    const one = await proof(es256);
    expect(await refusal([one, one])).toMatchObject({ reason: 'invalid_dpop_proof', check: 'proof' });
    expect(await refusal(`${one}, ${one}`)).toMatchObject({ check: 'proof' });
    expect(await refusal('not a jws')).toMatchObject({ check: 'proof' });
    expect(await refusal('a'.repeat(9000))).toMatchObject({ check: 'proof' });
  });

  it('refuses a typ other than dpop+jwt, and accepts its application/ form', async () => {
    expect(await refusal(await proof(es256, { header: { typ: 'JWT' } }))).toMatchObject({ check: 'typ' });
    expect(await refusal(await proof(es256, { header: { typ: undefined } }))).toMatchObject({ check: 'typ' });
    await expect(
      verifyDpopProof(await proof(es256, { header: { typ: 'application/DPoP+JWT' } }), expected()),
    ).resolves.toBeDefined();
  });

  it('refuses unsigned, MAC and unlisted algorithms', async () => {
    const unsigned = new UnsecuredJWT({ jti: 'x', htm: 'POST', htu: TOKEN_URL, iat: nowSeconds }).encode();
    expect(await refusal(unsigned)).toMatchObject({ check: 'proof' });
    const mac = await new SignJWT({ jti: 'x', htm: 'POST', htu: TOKEN_URL, iat: nowSeconds })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as JWK })
      .sign(randomBytes(32));
    expect(await refusal(mac)).toMatchObject({ check: 'alg' });
    const rs256 = await signer('RS256');
    expect(await refusal(await proof(rs256, { alg: 'RS256' }))).toMatchObject({ check: 'alg' });
  });

  it('refuses a missing jwk, a private one, and one of another kind than the algorithm', async () => {
    expect(await refusal(await proof(es256, { header: { jwk: undefined } }))).toMatchObject({ check: 'jwk' });
    const withPrivate = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(withPrivate.privateKey);
    expect(
      await refusal(
        await proof({ privateKey: withPrivate.privateKey, jwk: privateJwk }, { header: { jwk: privateJwk } }),
      ),
    ).toMatchObject({ check: 'jwk' });
    const ed = await signer('EdDSA');
    expect(await refusal(await proof(es256, { header: { jwk: ed.jwk } }))).toMatchObject({ check: 'jwk' });
    expect(await refusal(await proof(es256, { header: { jwk: { ...es256.jwk, use: 'enc' } } }))).toMatchObject({
      check: 'jwk',
    });
  });

  it('refuses a proof whose signature is not by its jwk', async () => {
    const other = await signer('ES256');
    expect(await refusal(await proof({ privateKey: other.privateKey, jwk: es256.jwk }))).toMatchObject({
      check: 'signature',
    });
  });

  it('refuses a missing or overlong jti', async () => {
    expect(await refusal(await proof(es256, { claims: { jti: undefined } }))).toMatchObject({ check: 'jti' });
    expect(await refusal(await proof(es256, { claims: { jti: 'j'.repeat(257) } }))).toMatchObject({ check: 'jti' });
  });

  it('refuses a proof made for another method', async () => {
    expect(await refusal(await proof(es256, { claims: { htm: 'GET' } }))).toMatchObject({ check: 'htm' });
    expect(await refusal(await proof(es256, { claims: { htm: 'post' } }))).toMatchObject({ check: 'htm' });
  });

  it('compares htu without query and fragment, after normalisation, against any of the endpoint URLs', async () => {
    for (const htu of [
      'https://AS.example.com:443/token',
      'https://as.example.com/%74oken',
      'https://as.example.com/token?x=1#f',
    ]) {
      await expect(verifyDpopProof(await proof(es256, { claims: { htu } }), expected())).resolves.toBeDefined();
    }
    const alias = 'https://mtls.as.example.com/token';
    await expect(
      verifyDpopProof(await proof(es256, { claims: { htu: alias } }), expected({ urls: [TOKEN_URL, alias] })),
    ).resolves.toBeDefined();
    for (const htu of ['https://as.example.com/userinfo', 'http://as.example.com/token', 'token', 42]) {
      expect(await refusal(await proof(es256, { claims: { htu } }))).toMatchObject({ check: 'htu' });
    }
  });

  it('refuses a proof without iat, too old, or from the future beyond the allowed skew', async () => {
    expect(await refusal(await proof(es256, { claims: { iat: undefined } }))).toMatchObject({ check: 'iat' });
    expect(await refusal(await proof(es256, { claims: { iat: nowSeconds - 61 } }))).toMatchObject({ check: 'iat' });
    expect(await refusal(await proof(es256, { claims: { iat: nowSeconds + 11 } }))).toMatchObject({ check: 'iat' });
    expect(await refusal(await proof(es256, { claims: { iat: 'yesterday' as unknown as number } }))).toMatchObject({
      check: 'iat',
    });
    await expect(
      verifyDpopProof(await proof(es256, { claims: { iat: nowSeconds - 59 } }), expected()),
    ).resolves.toBeDefined();
  });

  it('requires ath to hash the access token presented with the proof', async () => {
    const accessToken = 'eyJhbGciOiJFUzI1NiJ9.e30.sig';
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    const atResource = expected({ method: 'GET', urls: ['https://as.example.com/userinfo'], accessToken });
    const forResource = (claims: JWTPayload) =>
      proof(es256, { claims: { htm: 'GET', htu: 'https://as.example.com/userinfo', ...claims } });

    await expect(verifyDpopProof(await forResource({ ath }), atResource)).resolves.toBeDefined();
    expect(await refusal(await forResource({}), atResource)).toMatchObject({ check: 'ath' });
    expect(await refusal(await forResource({ ath: ath.slice(1) }), atResource)).toMatchObject({ check: 'ath' });
  });

  it('asks for the server nonce (use_dpop_nonce) when it is missing or stale', async () => {
    const nonces = new DpopNonces({ keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(32) }] });
    const withNonces = expected({ nonces });

    expect(await refusal(await proof(es256), withNonces)).toMatchObject({ reason: 'use_dpop_nonce' });
    const stale = nonces.current(new Date(now.getTime() - 2 * DPOP_NONCE_WINDOW_SECONDS * 1000));
    expect(await refusal(await proof(es256, { claims: { nonce: stale } }), withNonces)).toMatchObject({
      reason: 'use_dpop_nonce',
    });
    await expect(
      verifyDpopProof(await proof(es256, { claims: { nonce: nonces.current(now) } }), withNonces),
    ).resolves.toBeDefined();
  });

  it('never puts a library message or the nonce in what the client is told', async () => {
    const nonces = new DpopNonces({ keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(32) }] });
    const refused = await refusal(await proof(es256, { claims: { nonce: 'guess' } }), expected({ nonces }));
    expect(refused.message).not.toContain(nonces.current(now));
    expect(refused.message).not.toMatch(/jose|JWS|ERR_/);
  });
});

describe('DpopNonces', () => {
  const keyEncryptionKey = randomBytes(32);
  const nonces = new DpopNonces({ keyEncryptionKeys: [{ kid: 'k1', key: keyEncryptionKey }] });
  const later = (windows: number) => new Date(now.getTime() + windows * DPOP_NONCE_WINDOW_SECONDS * 1000);

  it('accepts the nonce of the current and the previous window, not older ones', () => {
    const issued = nonces.current(now);
    expect(nonces.isValid(issued, now)).toBe(true);
    expect(nonces.isValid(issued, later(1))).toBe(true);
    expect(nonces.isValid(issued, later(2))).toBe(false);
  });

  it('gives every replica with the same key the same nonces, and none to another key', () => {
    expect(new DpopNonces({ keyEncryptionKeys: [{ kid: 'k1', key: keyEncryptionKey }] }).current(now)).toBe(
      nonces.current(now),
    );
    expect(
      new DpopNonces({ keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(32) }] }).isValid(nonces.current(now), now),
    ).toBe(false);
  });

  it('derives its key from the newest key-encryption key of the ring', () => {
    const ring = [
      { kid: 'k0', key: randomBytes(32) },
      { kid: 'k1', key: keyEncryptionKey },
    ];
    expect(new DpopNonces({ keyEncryptionKeys: ring }).current(now)).toBe(nonces.current(now));
  });

  it('refuses a value of another length or kind without throwing', () => {
    expect(nonces.isValid('', now)).toBe(false);
    expect(nonces.isValid('é'.repeat(43), now)).toBe(false);
  });
});
