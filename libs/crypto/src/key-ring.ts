import { hkdfSync, webcrypto } from 'node:crypto';
import { INITIAL_KEY_ENCRYPTION_KEY_ID, type KeyEncryptionKey } from '@backchannel/config';
import { compactDecrypt, CompactEncrypt, type CryptoKey, decodeProtectedHeader } from 'jose';

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
  // jose imports a raw key into WebCrypto on every call (as much CPU as the cipher itself), so each
  // key is imported once, when first used
  private readonly imported = new Map<string, Promise<CryptoKey>>();
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
    return new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty, kid, bnd: boundTo })
      .encrypt(await this.cryptoKey(kid, key));
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

  private cryptoKey(kid: string, key: Uint8Array): Promise<CryptoKey> {
    let imported = this.imported.get(kid);
    if (imported === undefined) {
      imported = webcrypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
      this.imported.set(kid, imported);
    }
    return imported;
  }

  private async opened(sealed: string): Promise<{ plaintext: Uint8Array; seal: Seal; cty: string }> {
    const kid = this.keyIdOf(sealed);
    const key = this.keys.get(kid);
    if (key === undefined) {
      throw new SealedPayloadError(
        `the sealed value was sealed with key-encryption key '${kid}', which is not in the key ring (BACKCHANNEL_KEY_ENCRYPTION_KEYS)`,
      );
    }
    let opened: Awaited<ReturnType<typeof compactDecrypt>>;
    try {
      opened = await compactDecrypt(sealed, await this.cryptoKey(kid, key), {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
    } catch (error) {
      throw new SealedPayloadError(
        `the sealed value does not open with key-encryption key '${kid}': ${(error as Error).name}`,
      );
    }
    return {
      plaintext: opened.plaintext,
      seal: sealOf(opened.protectedHeader),
      cty: String(opened.protectedHeader.cty),
    };
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
