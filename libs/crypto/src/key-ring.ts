import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { INITIAL_KEY_ENCRYPTION_KEY_ID, type KeyEncryptionKey } from '@backchannel/config';
import { decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';

export const KEY_ENCRYPTION_KEY_BYTES = 32;

/** Raised when a sealed value cannot be opened: a key no longer in the ring, another key, another binding, or tampering. */
export class SealedPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedPayloadError';
  }
}

/**
 * Keys that seal small values as JWE compact (dir + A256GCM): the newest seals and names itself in
 * `kid`, every key opens what names it. What a value belongs to (`bnd`: a stream id, a signing
 * key's kid) sits in the authenticated protected header, so a sealed value copied elsewhere does
 * not open there.
 */
export class KeyRing {
  private readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly newest: KeyEncryptionKey;

  constructor(keys: readonly KeyEncryptionKey[]) {
    const newest = keys.at(-1);
    if (newest === undefined) throw new Error('the key-encryption key ring is empty');
    for (const { kid, key } of keys) {
      if (key.length !== KEY_ENCRYPTION_KEY_BYTES) {
        throw new Error(`the key-encryption key ${kid} must be ${KEY_ENCRYPTION_KEY_BYTES} bytes, not ${key.length}`);
      }
    }
    this.keys = new Map(keys.map(({ kid, key }) => [kid, key]));
    if (this.keys.size !== keys.length) throw new Error('the key-encryption key ring names a kid twice');
    this.newest = newest;
  }

  /**
   * A ring of one key derived with HKDF from a secret its holder keeps (a client's auth_req_id,
   * which is stored nowhere): what it seals, nothing at rest opens without that secret.
   */
  static ofSecret(secret: string, info: string): KeyRing {
    const key = hkdfSync('sha256', secret, new Uint8Array(0), info, KEY_ENCRYPTION_KEY_BYTES);
    return new KeyRing([{ kid: info, key: new Uint8Array(key) }]);
  }

  /** The same kids, each key replaced by one derived with HKDF for `info`, so no key serves two purposes. */
  derived(info: string): KeyRing {
    return new KeyRing(
      [...this.keys].map(([kid, key]) => ({
        kid,
        key: new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), info, KEY_ENCRYPTION_KEY_BYTES)),
      })),
    );
  }

  async seal(plaintext: Uint8Array, cty: string, boundTo: string): Promise<string> {
    const { kid, key } = this.newest;
    return sealCompact(key, { alg: 'dir', enc: 'A256GCM', cty, kid, bnd: boundTo }, plaintext);
  }

  async open(sealed: string, boundTo: string): Promise<Uint8Array> {
    const { plaintext, seal } = await this.opened(sealed);
    if (seal.boundTo !== boundTo) throw new SealedPayloadError('the sealed value belongs to another owner');
    return plaintext;
  }

  /** The value sealed again under the newest key, bound as it was; null when the newest key sealed it. */
  async reseal(sealed: string): Promise<string | null> {
    if (this.keyIdOf(sealed) === this.newest.kid) return null;
    const { plaintext, seal, cty } = await this.opened(sealed);
    return this.seal(plaintext, cty, seal.boundTo);
  }

  /** The kid of the key that sealed a value, read without opening it. */
  keyIdOf(sealed: string): string {
    try {
      return sealOf(decodeProtectedHeader(sealed)).kid;
    } catch (error) {
      if (error instanceof SealedPayloadError) throw error;
      throw new SealedPayloadError(`the sealed value is not a JWE: ${(error as Error).name}`);
    }
  }

  private async opened(sealed: string): Promise<{ plaintext: Uint8Array; seal: Seal; cty: string }> {
    const kid = this.keyIdOf(sealed);
    const key = this.keys.get(kid);
    if (key === undefined) {
      throw new SealedPayloadError(
        `the sealed value was sealed with key-encryption key '${kid}', which is not in the key ring (BACKCHANNEL_KEY_ENCRYPTION_KEYS)`,
      );
    }
    let opened: { plaintext: Uint8Array; protectedHeader: ProtectedHeaderParameters };
    try {
      opened = openCompact(key, sealed);
    } catch (error) {
      throw new SealedPayloadError(
        `the sealed value does not open with key-encryption key '${kid}': ${(error as Error).message}`,
      );
    }
    return {
      plaintext: opened.plaintext,
      seal: sealOf(opened.protectedHeader),
      cty: String(opened.protectedHeader.cty),
    };
  }
}

/*
 * JWE compact serialization with `dir` and A256GCM (RFC 7516 §7.1, RFC 7518 §5.3), the one form
 * the ring writes and reads, on node:crypto, synchronously: jose works through WebCrypto, each
 * call a job handed to libuv's thread pool and back, several times the CPU of the cipher for
 * values this small (docs/performance.md). jose opens what this seals and the other way round
 * (key-ring.spec.ts).
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function sealCompact(key: Uint8Array, header: ProtectedHeaderParameters, plaintext: Uint8Array): string {
  const protectedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  // the protected header, as encoded, is the additional authenticated data
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [protectedHeader, '', iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

function openCompact(
  key: Uint8Array,
  sealed: string,
): { plaintext: Uint8Array; protectedHeader: ProtectedHeaderParameters } {
  const parts = sealed.split('.');
  const [encodedHeader, encryptedKey, encodedIv, encodedCiphertext, encodedTag] = parts;
  if (parts.length !== 5 || encryptedKey !== '' || !parts.every((part) => BASE64URL.test(part))) {
    throw new Error('not a JWE compact serialization with direct encryption');
  }
  const protectedHeader = decodeProtectedHeader(sealed);
  if (protectedHeader.alg !== 'dir' || protectedHeader.enc !== 'A256GCM') {
    throw new Error(`sealed with ${String(protectedHeader.alg)}/${String(protectedHeader.enc)}, not dir/A256GCM`);
  }
  // no extension of ours is critical, and compression is never used: a value asking for either is not ours
  if (protectedHeader.crit !== undefined || protectedHeader.zip !== undefined) throw new Error('unsupported header');
  const iv = Buffer.from(encodedIv!, 'base64url');
  const tag = Buffer.from(encodedTag!, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('the IV or tag has the wrong length');
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(encodedHeader!, 'ascii'));
  decipher.setAuthTag(tag);
  try {
    const ciphertext = Buffer.from(encodedCiphertext!, 'base64url');
    return { plaintext: Buffer.concat([decipher.update(ciphertext), decipher.final()]), protectedHeader };
  } catch {
    throw new Error('decryption failed (another key, another binding, or tampering)');
  }
}

interface Seal {
  kid: string;
  boundTo: string;
}

/**
 * Which key sealed a value, and what the value belongs to. Seals made before key rings name no
 * key-encryption key: sealed payloads carried `bnd` alone, sealed signing keys named themselves in
 * `kid`; both were sealed with the single key, whose kid is INITIAL_KEY_ENCRYPTION_KEY_ID.
 */
function sealOf(header: { kid?: unknown; bnd?: unknown }): Seal {
  const { kid, bnd } = header;
  if (typeof bnd === 'string')
    return { kid: typeof kid === 'string' ? kid : INITIAL_KEY_ENCRYPTION_KEY_ID, boundTo: bnd };
  if (typeof kid === 'string') return { kid: INITIAL_KEY_ENCRYPTION_KEY_ID, boundTo: kid };
  throw new SealedPayloadError('the sealed value names neither its key nor its owner');
}
