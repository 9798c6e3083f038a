import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { PayloadSealer, SealedPayloadError } from './payload-sealer.service.js';

describe('PayloadSealer', () => {
  const keyEncryptionKey = randomBytes(32);
  const sealer = new PayloadSealer({ keyEncryptionKey });
  const streamId = 'auth-request-stream-1';
  const payload = { authReqId: 'secret-auth-req-id', clientNotificationToken: 'secret-notification-token' };

  it('opens what it sealed for the same stream', async () => {
    const sealed = await sealer.seal(payload, streamId);

    await expect(sealer.open<typeof payload>(sealed, streamId)).resolves.toEqual(payload);
  });

  it('seals as a compact JWE (dir, A256GCM) bound to the stream, with no plaintext in it', async () => {
    const sealed = await sealer.seal(payload, streamId);

    expect(sealed.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(sealed)).toEqual({ alg: 'dir', enc: 'A256GCM', cty: 'json', bnd: streamId });
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
    await expect(opening).rejects.toThrow('the sealed payload belongs to another stream');
  });

  it('does not open with another key-encryption key', async () => {
    const sealed = await sealer.seal(payload, streamId);

    const opening = new PayloadSealer({ keyEncryptionKey: randomBytes(32) }).open(sealed, streamId);

    await expect(opening).rejects.toBeInstanceOf(SealedPayloadError);
    await expect(opening).rejects.toThrow(/does not open with this key/);
  });

  it('opens in another process that has the same key-encryption key', async () => {
    const sealed = await sealer.seal(payload, streamId);

    await expect(new PayloadSealer({ keyEncryptionKey }).open(sealed, streamId)).resolves.toEqual(payload);
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
      JSON.stringify({ alg: 'dir', enc: 'A256GCM', cty: 'json', bnd: 'auth-request-stream-2' }),
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
});
