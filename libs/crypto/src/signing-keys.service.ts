import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigurationError, type KeyEncryptionKey, type SigningKeyRotation } from '@backchannel/config';
import type { JWK } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import { KeyRing, SealedPayloadError } from './key-ring.js';
import {
  generateSigningKey,
  openSigningKey,
  type SigningAlgorithm,
  type SigningKey,
  type StoredSigningKey,
} from './signing-key.js';
import {
  nextKeyActivation,
  nextKeyAt,
  publishedKeysAt,
  retirementOf,
  type ScheduledKey,
  signingKeyAt,
  SIGNING_KEYS_REFRESH_SECONDS,
} from './signing-key-rotation.js';

/** What CryptoModule is configured with: the configuration's members of the same names. */
export interface SigningKeyOptions {
  /**
   * Oldest first: the last one seals (the private signing keys, JWE dir + A256GCM), each opens what
   * names its kid. None: the keys are only published, never opened or added (the gateway's /jwks).
   */
  keyEncryptionKeys: readonly KeyEncryptionKey[];
  signingKeys: SigningKeyRotation;
  alg?: SigningAlgorithm;
}

export const SIGNING_KEY_OPTIONS = Symbol('SIGNING_KEY_OPTIONS');

/** Whoever adds a key takes this lock (the name predates rotation), so replicas add one between them. */
const KEY_CREATION_LOCK = 'backchannel:signing-keys:create';

type StoredKey = StoredSigningKey & ScheduledKey;

interface SigningKeyRow {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: JWK;
  private_jwk_encrypted: string;
  activates_at: Date;
  retired_at: Date | null;
}

/** What `ops rotate-signing-key` did. */
export interface NextSigningKey {
  kid: string;
  activatesAt: Date;
  /** False when a next key was already waiting: it is the one reported, and none was added. */
  created: boolean;
  /** The key it takes over from, and when that one leaves the JWKS. */
  supersedes: { kid: string; retiresAt: Date } | null;
}

/**
 * The token signing keys, stored in `signing_keys` (private halves sealed), shared by every
 * replica: the when of each key is in the table and the rules in signing-key-rotation.ts, so
 * replicas agree without talking. Each replica re-reads the keys at most every
 * SIGNING_KEYS_REFRESH_SECONDS, as it signs or serves the JWKS, and adds the next key then when
 * the schedule says so.
 */
@Injectable()
export class SigningKeys implements OnApplicationBootstrap {
  /** Null where the service holds no key-encryption key. */
  private readonly keyRing: KeyRing | null;
  private loaded: { at: number; keys: Promise<StoredKey[]> } | undefined;
  private readonly opened = new Map<string, Promise<SigningKey>>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SIGNING_KEY_OPTIONS) private readonly options: SigningKeyOptions,
  ) {
    this.keyRing = options.keyEncryptionKeys.length > 0 ? new KeyRing(options.keyEncryptionKeys) : null;
  }

  /** The key new tokens are signed with at `now` (on the very first start, generated); opened once per key. */
  async activeKey(now = new Date()): Promise<SigningKey> {
    const stored = signingKeyAt(await this.keysAt(now), now);
    // the first key signs at once, and a later one only ever after another: there always is one
    if (stored === null) throw new Error('no signing key signs yet');
    return this.open(stored);
  }

  /** Public keys for /jwks: the next key before it signs, and superseded keys until their last token expires. */
  async jwks(now = new Date()): Promise<{ keys: JWK[] }> {
    // the very first key is made by whoever can seal it; a service that cannot publishes what is stored
    if (this.keyRing !== null) await this.activeKey(now);
    const published = publishedKeysAt(await this.keysAt(now), now, this.options.signingKeys);
    return { keys: published.map((key) => key.publicJwk) };
  }

  /**
   * Adds a next key now, whatever the schedule (`ops rotate-signing-key`): published at once, it
   * signs after the lead time. When a next key is already waiting, that one is reported instead.
   */
  async rotate(now: Date): Promise<NextSigningKey> {
    const { keys, created } = await this.schedule(now, true);
    this.loaded = undefined;
    // on request a key is added, unless one was already waiting: then that one is next
    const next = created ?? nextKeyAt(keys, now)!;
    const superseded = signingKeyAt(keys, now);
    const retiresAt = superseded && retirementOf(superseded, keys, now, this.options.signingKeys);
    return {
      kid: next.kid,
      activatesAt: next.activatesAt,
      created: created !== null,
      supersedes: superseded && retiresAt ? { kid: superseded.kid, retiresAt } : null,
    };
  }

  /** Key-encryption keys that do not open the signing key stop the service at start, not every token request. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.keyRing !== null) await this.activeKey();
  }

  private keysAt(now: Date): Promise<StoredKey[]> {
    if (this.loaded === undefined || Math.abs(now.getTime() - this.loaded.at) >= SIGNING_KEYS_REFRESH_SECONDS * 1000) {
      const keys = this.load(now);
      this.loaded = { at: now.getTime(), keys };
      keys.catch(() => {
        if (this.loaded?.keys === keys) this.loaded = undefined; // a failed load (database down) is retried by the next caller
      });
    }
    return this.loaded.keys;
  }

  /** The stored keys, the next one added first when the schedule says it is due. */
  private async load(now: Date): Promise<StoredKey[]> {
    const keys = await readKeys(this.dataSource.manager);
    if (this.keyRing === null || nextKeyActivation(keys, now, this.options.signingKeys, false) === null) return keys;
    return (await this.schedule(now, false)).keys;
  }

  /** Adds the next key when it is due or `requested`, one replica at a time; returns it with every stored key. */
  private schedule(now: Date, requested: boolean): Promise<{ keys: StoredKey[]; created: StoredKey | null }> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [KEY_CREATION_LOCK]);
      // Read committed: this statement sees a key committed by whoever held the lock before us.
      const keys = await readKeys(manager);
      const activatesAt = nextKeyActivation(keys, now, this.options.signingKeys, requested);
      if (activatesAt === null) return { keys, created: null };
      const generated = await generateSigningKey(this.options.alg ?? 'ES256', this.sealingRing());
      await manager.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_encrypted, created_at, activates_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          generated.kid,
          generated.alg,
          JSON.stringify(generated.publicJwk),
          generated.sealedPrivateJwk,
          now,
          activatesAt,
        ],
      );
      const created = { ...generated, activatesAt, retiredAt: null };
      return { keys: [...keys, created], created };
    });
  }

  private sealingRing(): KeyRing {
    if (this.keyRing === null) throw new Error('this service holds no key-encryption key: it signs nothing');
    return this.keyRing;
  }

  private open(stored: StoredKey): Promise<SigningKey> {
    let opened = this.opened.get(stored.kid);
    if (opened === undefined) {
      opened = openSigningKey(stored, this.sealingRing()).catch((error: unknown) => {
        this.opened.delete(stored.kid);
        if (!(error instanceof SealedPayloadError)) throw error;
        throw new ConfigurationError([
          `BACKCHANNEL_KEY_ENCRYPTION_KEYS: does not open the stored signing key ${stored.kid} (${error.message})`,
        ]);
      });
      this.opened.set(stored.kid, opened);
    }
    return opened;
  }
}

async function readKeys(manager: EntityManager): Promise<StoredKey[]> {
  const rows: SigningKeyRow[] = await manager.query(
    `SELECT kid, alg, public_jwk, private_jwk_encrypted, activates_at, retired_at FROM signing_keys`,
  );
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    sealedPrivateJwk: row.private_jwk_encrypted,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
  }));
}
