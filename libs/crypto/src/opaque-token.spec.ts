import { constantTimeEqualHex, randomToken, sha256Hex } from './opaque-token.js';

describe('randomToken', () => {
  it('is base64url of 32 random bytes by default', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('takes the number of bytes', () => {
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
  });

  it('differs on every call', () => {
    expect(new Set(Array.from({ length: 100 }, () => randomToken())).size).toBe(100);
  });
});

describe('sha256Hex', () => {
  it('is the lower-case hex SHA-256 of the UTF-8 text', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).toBe(sha256Hex('\u00e9'));
    expect(sha256Hex('é')).not.toBe(sha256Hex('e\u0301'));
  });
});

describe('constantTimeEqualHex', () => {
  const digest = sha256Hex('secret');

  it('accepts the same digest in either letter case', () => {
    expect(constantTimeEqualHex(digest, sha256Hex('secret'))).toBe(true);
    expect(constantTimeEqualHex(digest, digest.toUpperCase())).toBe(true);
  });

  it('rejects a different digest', () => {
    expect(constantTimeEqualHex(digest, sha256Hex('Secret'))).toBe(false);
  });

  it('rejects digests of different lengths', () => {
    expect(constantTimeEqualHex(digest, digest.slice(0, 32))).toBe(false);
    expect(constantTimeEqualHex('', digest)).toBe(false);
  });

  it('never matches malformed hex, even two identical malformed strings', () => {
    expect(constantTimeEqualHex('zz', 'zz')).toBe(false);
    expect(constantTimeEqualHex(`${digest.slice(0, 62)}zz`, `${digest.slice(0, 62)}zz`)).toBe(false);
    expect(constantTimeEqualHex('abc', 'abc')).toBe(false);
  });
});
