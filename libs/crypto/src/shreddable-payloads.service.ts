import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader } from 'jose';
import { DataSource } from 'typeorm';
import { KeyRing, SealedPayloadError } from './key-ring.js';
import { PayloadSealer } from './payload-sealer.service.js';

/** The kid prefix of a value sealed with a data key of its own. */
const SHREDDABLE_KID_PREFIX = 'shreddable:';

/**
 * Values sealed so that they can be destroyed while their copies live on (crypto-shredding): each
 * is encrypted (JWE, dir + A256GCM) with a random data key of its own, named in its `kid` and kept
 * in `shreddable_keys`, sealed like any stored secret (PayloadSealer, so `ops reseal` moves it to a
 * newer key-encryption key). `shred(owner)` deletes the owner's data keys: the sealed values, in
 * events and on Kafka, can never be opened again. A value sealed by PayloadSealer before this
 * existed still opens.
 */
@Injectable()
export class ShreddablePayloads {
  constructor(
    private readonly sealer: PayloadSealer,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  /** Seals `payload` to `owner` under a new data key, kept until `expiresAt` at the latest. */
  async seal(payload: unknown, owner: string, expiresAt: Date): Promise<string> {
    const keyId = randomUUID();
    const dataKey = randomBytes(32);
    await this.dataSource.query(
      `INSERT INTO shreddable_keys (key_id, owner, sealed_key, expires_at) VALUES ($1, $2, $3, $4)`,
      [keyId, owner, await this.sealer.seal(dataKey.toString('base64url'), owner), expiresAt],
    );
    return ringOf(keyId, dataKey).seal(new TextEncoder().encode(JSON.stringify(payload)), 'json', owner);
  }

  /** Throws SealedPayloadError when the value was shredded, or does not open (see PayloadSealer.open). */
  async open<T>(sealed: string, owner: string): Promise<T> {
    const keyId = shreddableKeyId(sealed);
    if (keyId === null) return this.sealer.open<T>(sealed, owner);
    const rows: { sealed_key: string }[] = await this.dataSource.query(
      `SELECT sealed_key FROM shreddable_keys WHERE key_id = $1 AND owner = $2`,
      [keyId, owner],
    );
    if (rows[0] === undefined) throw new SealedPayloadError('the sealed value was shredded: its data key is gone');
    const dataKey = Buffer.from(await this.sealer.open<string>(rows[0].sealed_key, owner), 'base64url');
    const plaintext = await ringOf(keyId, dataKey).open(sealed, owner);
    return JSON.parse(new TextDecoder().decode(plaintext)) as T;
  }

  /** Destroys every data key of `owner`: what they sealed is unreadable from now on. */
  async shred(owner: string): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH shredded AS (DELETE FROM shreddable_keys WHERE owner = $1 RETURNING 1) SELECT 1 FROM shredded`,
      [owner],
    );
    return rows.length;
  }
}

function ringOf(keyId: string, dataKey: Uint8Array): KeyRing {
  return new KeyRing([{ kid: `${SHREDDABLE_KID_PREFIX}${keyId}`, key: dataKey }]);
}

/** The data key's id a shreddable value names; null for a value sealed by PayloadSealer. */
function shreddableKeyId(sealed: string): string | null {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(sealed).kid;
  } catch {
    throw new SealedPayloadError('the sealed value is not a JWE');
  }
  return typeof kid === 'string' && kid.startsWith(SHREDDABLE_KID_PREFIX)
    ? kid.slice(SHREDDABLE_KID_PREFIX.length)
    : null;
}
