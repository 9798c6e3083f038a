import { randomBytes } from 'node:crypto';
import { compactDecrypt, CompactEncrypt, decodeProtectedHeader } from 'jose';
import { KeyRing, SealedPayloadError } from './key-ring.js';
import { PayloadSealer } from './payload-sealer.service.js';

describe('PayloadSealer', () => {
  const keyEncryptionKeys = [{ kid: 'k1', key: randomBytes(32) }];
  const sealer = new PayloadSealer({ keyEncryptionKeys });
  const streamId = 'auth-request-stream-1';
  const payload = { authReqId: 'secret-auth-req-id', clientNotificationToken: 'secret-notification-token' };

  it('opens what it sealed for the same stream', async () => {
    const sealed = await sealer.seal(payload, streamId);

    await expect(sealer.open<typeof payload>(sealed, streamId)).resolves.toEqual(payload);
  });

  it('seals as a compact JWE (dir, A256GCM) naming its key and bound to the stream, with no plaintext in it', async () => {
    const sealed = await sealer.seal(payload, streamId);

    expect(sealed.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(sealed)).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      cty: 'json',
      kid: 'k1',
      bnd: streamId,
    });
    const decodedParts = sealed
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join('');
    expect(decodedParts).not.toContain(payload.authReqId);
    expect(decodedParts).not.toContain(payload.clientNotificationToken);
  });

  it('seals the same payload differently each time (a fresh IV)', async () => {
    expect(await sealer.seal(payload, streamId)).not.toBe(await sealer.seal(payload, streamId));
  });

  it('does not open a payload sealed for another stream', async () => {
    const sealed = await sealer.seal(payload, 'auth-request-stream-2');

    const opening = sealer.open(sealed, streamId);

    await expect(opening).rejects.toBeInstanceOf(SealedPayloadError);
    await expect(opening).rejects.toThrow('the sealed value belongs to another owner');
  });

  it('does not open with another key under the same kid', async () => {
    const sealed = await sealer.seal(payload, streamId);

    const opening = new PayloadSealer({ keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(32) }] }).open(
      sealed,
      streamId,
    );

    await expect(opening).rejects.toBeInstanceOf(SealedPayloadError);
    await expect(opening).rejects.toThrow("does not open with key-encryption key 'k1'");
  });

  it('opens in another process that has the same key-encryption key', async () => {
    const sealed = await sealer.seal(payload, streamId);

    await expect(new PayloadSealer({ keyEncryptionKeys }).open(sealed, streamId)).resolves.toEqual(payload);
  });

  it('does not open a tampered ciphertext, authentication tag or protected header', async () => {
    const [header, key, iv, ciphertext, tag] = (await sealer.seal(payload, streamId)).split('.') as [
      string,
      string,
      string,
      string,
      string,
    ];
    const flipFirstByte = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64url');
    };
    const rebound = Buffer.from(
      JSON.stringify({ alg: 'dir', enc: 'A256GCM', cty: 'json', kid: 'k1', bnd: 'auth-request-stream-2' }),
    ).toString('base64url');

    for (const tampered of [
      [header, key, iv, flipFirstByte(ciphertext), tag],
      [header, key, iv, ciphertext, flipFirstByte(tag)],
      [rebound, key, iv, ciphertext, tag],
    ]) {
      await expect(sealer.open(tampered.join('.'), streamId)).rejects.toBeInstanceOf(SealedPayloadError);
    }
    await expect(sealer.open('not a jwe', streamId)).rejects.toBeInstanceOf(SealedPayloadError);
  });

  describe('under a key ring', () => {
    const older = { kid: '2025', key: randomBytes(32) };
    const newer = { kid: '2026', key: randomBytes(32) };
    const before = new PayloadSealer({ keyEncryptionKeys: [older] });
    const after = new PayloadSealer({ keyEncryptionKeys: [older, newer] });

    it('seals with the last key of the ring, and opens what an older key sealed', async () => {
      const old = await before.seal(payload, streamId);
      const fresh = await after.seal(payload, streamId);

      expect(decodeProtectedHeader(fresh).kid).toBe('2026');
      await expect(after.open(old, streamId)).resolves.toEqual(payload);
      await expect(after.open(fresh, streamId)).resolves.toEqual(payload);
    });

    it('refuses a value sealed under a key that left the ring, naming the missing kid', async () => {
      const old = await before.seal(payload, streamId);

      const opening = new PayloadSealer({ keyEncryptionKeys: [newer] }).open(old, streamId);

      await expect(opening).rejects.toBeInstanceOf(SealedPayloadError);
      await expect(opening).rejects.toThrow(
        "the sealed value was sealed with key-encryption key '2025', which is not in the key ring",
      );
    });

    it('re-seals an older seal under the newest key, bound as before, and leaves a current one', async () => {
      const old = await before.seal(payload, streamId);

      const resealed = await after.reseal(old);

      expect(decodeProtectedHeader(resealed!)).toMatchObject({ kid: '2026', bnd: streamId, cty: 'json' });
      await expect(new PayloadSealer({ keyEncryptionKeys: [newer] }).open(resealed!, streamId)).resolves.toEqual(
        payload,
      );
      await expect(after.reseal(resealed!)).resolves.toBeNull();
    });

    it('opens a payload sealed before key rings (no kid) with the initial key', async () => {
      const initial = { kid: 'initial', key: randomBytes(32) };
      const sealedNow = await new PayloadSealer({ keyEncryptionKeys: [initial] }).seal(payload, streamId);
      // what the sealer made before key rings: the same derived key, no kid in the header
      const derivedKey = new KeyRing([initial]).derived('backchannel sealed payloads v1').newest.key;
      const { plaintext } = await compactDecrypt(sealedNow, derivedKey);
      const legacy = await new CompactEncrypt(plaintext)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'json', bnd: streamId })
        .encrypt(derivedKey);

      await expect(new PayloadSealer({ keyEncryptionKeys: [initial, newer] }).open(legacy, streamId)).resolves.toEqual(
        payload,
      );
      await expect(new PayloadSealer({ keyEncryptionKeys: [newer] }).open(legacy, streamId)).rejects.toThrow(
        "key-encryption key 'initial'",
      );
    });
  });
});
