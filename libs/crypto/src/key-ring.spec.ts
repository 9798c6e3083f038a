import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { KeyRing, SealedPayloadError } from './key-ring.js';

describe('KeyRing', () => {
  const first = { kid: 'first', key: randomBytes(32) };
  const second = { kid: 'second', key: randomBytes(32) };
  const plaintext = new TextEncoder().encode('a secret');

  it('seals under its last key and names it in kid, bound in bnd', async () => {
    const sealed = await new KeyRing([first, second]).seal(plaintext, 'text', 'owner-1');

    expect(decodeProtectedHeader(sealed)).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      cty: 'text',
      kid: 'second',
      bnd: 'owner-1',
    });
  });

  it('opens with the key the seal names, whichever its place in the ring', async () => {
    const sealed = await new KeyRing([first]).seal(plaintext, 'text', 'owner-1');

    await expect(new KeyRing([second, first]).open(sealed, 'owner-1')).resolves.toEqual(plaintext);
    await expect(new KeyRing([first, second]).open(sealed, 'owner-1')).resolves.toEqual(plaintext);
  });

  it('tells the kid of a seal without opening it', async () => {
    const sealed = await new KeyRing([first]).seal(plaintext, 'text', 'owner-1');

    expect(new KeyRing([second]).keyIdOf(sealed)).toBe('first');
    expect(() => new KeyRing([second]).keyIdOf('not a jwe')).toThrow(SealedPayloadError);
  });

  it('derives keys of its own per purpose, under the same kids', async () => {
    const ring = new KeyRing([first, second]);
    const derived = ring.derived('a purpose');

    expect(derived.newest.kid).toBe('second');
    expect(Buffer.from(derived.newest.key).equals(second.key)).toBe(false);
    expect(Buffer.from(ring.derived('a purpose').newest.key).equals(derived.newest.key)).toBe(true);
    const sealed = await derived.seal(plaintext, 'text', 'owner-1');
    await expect(ring.open(sealed, 'owner-1')).rejects.toBeInstanceOf(SealedPayloadError);
  });

  it('derives a ring of one key from a secret: only that secret, for that purpose, opens what it sealed', async () => {
    const secret = randomBytes(32).toString('base64url');
    const sealed = await KeyRing.ofSecret(secret, 'a purpose').seal(plaintext, 'text', 'owner-1');

    expect(decodeProtectedHeader(sealed).kid).toBe('a purpose');
    await expect(KeyRing.ofSecret(secret, 'a purpose').open(sealed, 'owner-1')).resolves.toEqual(plaintext);
    await expect(KeyRing.ofSecret(`${secret}x`, 'a purpose').open(sealed, 'owner-1')).rejects.toBeInstanceOf(
      SealedPayloadError,
    );
    await expect(KeyRing.ofSecret(secret, 'another purpose').open(sealed, 'owner-1')).rejects.toBeInstanceOf(
      SealedPayloadError,
    );
  });

  it('refuses an empty ring, a key that is not 32 bytes and a kid given twice', () => {
    expect(() => new KeyRing([])).toThrow('the key-encryption key ring is empty');
    expect(() => new KeyRing([{ kid: 'short', key: randomBytes(16) }])).toThrow(
      'the key-encryption key short must be 32 bytes, not 16',
    );
    expect(() => new KeyRing([first, { ...second, kid: 'first' }])).toThrow('names a kid twice');
  });

  it('refuses a seal that names neither its key nor its owner', async () => {
    const anonymous = await new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(first.key);

    await expect(new KeyRing([first]).open(anonymous, 'owner-1')).rejects.toThrow(
      'the sealed value names neither its key nor its owner',
    );
  });

  describe('the JWE it writes and reads (dir + A256GCM, RFC 7516 compact)', () => {
    const ring = new KeyRing([first]);
    const header = { alg: 'dir', enc: 'A256GCM', cty: 'text', kid: 'first', bnd: 'owner-1' } as const;

    it('opens what jose sealed (every value at rest before the ring sealed on its own)', async () => {
      const byJose = await new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(first.key);

      await expect(ring.open(byJose, 'owner-1')).resolves.toEqual(plaintext);
    });

    it('seals what jose opens, under a fresh IV each time', async () => {
      const sealed = await ring.seal(plaintext, 'text', 'owner-1');
      const again = await ring.seal(plaintext, 'text', 'owner-1');

      const opened = await compactDecrypt(sealed, first.key);
      expect(opened.plaintext).toEqual(plaintext);
      expect(opened.protectedHeader).toEqual(header);
      expect(again.split('.')[2]).not.toBe(sealed.split('.')[2]);
    });

    /** The seal with one part replaced. */
    function withPart(sealed: string, index: number, replace: (part: string) => string): string {
      return sealed
        .split('.')
        .map((part, at) => (at === index ? replace(part) : part))
        .join('.');
    }
    const flipFirstByte = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0]! ^= 1;
      return bytes.toString('base64url');
    };

    it.each([
      ['a changed ciphertext', (sealed: string) => withPart(sealed, 3, flipFirstByte)],
      ['a changed tag', (sealed: string) => withPart(sealed, 4, flipFirstByte)],
      ['a changed IV', (sealed: string) => withPart(sealed, 2, flipFirstByte)],
      ['a shortened tag', (sealed: string) => withPart(sealed, 4, (tag) => tag.slice(0, 12))],
      [
        'another header (its bnd rewritten)',
        (sealed: string) =>
          withPart(sealed, 0, () => Buffer.from(JSON.stringify({ ...header, bnd: 'owner-2' })).toString('base64url')),
      ],
      ['an encrypted key where dir has none', (sealed: string) => withPart(sealed, 1, () => 'AAAA')],
      ['a part missing', (sealed: string) => sealed.split('.').slice(0, 4).join('.')],
    ])('refuses %s', async (_, tamper) => {
      const sealed = await ring.seal(plaintext, 'text', 'owner-1');

      await expect(ring.open(tamper(sealed), 'owner-1')).rejects.toBeInstanceOf(SealedPayloadError);
      await expect(ring.open(tamper(sealed), 'owner-2')).rejects.toBeInstanceOf(SealedPayloadError);
    });

    it('refuses another content encryption, or a critical extension', async () => {
      const otherEnc = await new CompactEncrypt(plaintext)
        .setProtectedHeader({ ...header, enc: 'A128GCM' })
        .encrypt(first.key.subarray(0, 16));
      const critical = await new CompactEncrypt(plaintext)
        .setProtectedHeader({ ...header, crit: ['bnd'] })
        .encrypt(first.key, { crit: { bnd: true } });

      await expect(ring.open(otherEnc, 'owner-1')).rejects.toThrow('not dir/A256GCM');
      await expect(ring.open(critical, 'owner-1')).rejects.toThrow('unsupported header');
    });
  });
});
