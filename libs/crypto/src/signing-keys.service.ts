import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigurationError } from '@backchannel/config';
import type { JWK } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import {
  generateSigningKey,
  KEY_ENCRYPTION_KEY_BYTES,
  openSigningKey,
  type SigningAlgorithm,
  type SigningKey,
  type StoredSigningKey,
} from './signing-key.js';

export interface SigningKeyOptions {
  /** 32 bytes: encrypts the private keys at rest (JWE dir + A256GCM). */
  keyEncryptionKey: Uint8Array;
  alg?: SigningAlgorithm;
}

export const SIGNING_KEY_OPTIONS = Symbol('SIGNING_KEY_OPTIONS');

/** Every service that starts without a key takes this lock, so only one of them generates it. */
const KEY_CREATION_LOCK = 'backchannel:signing-keys:create';

interface SigningKeyRow {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: JWK;
  private_jwk_encrypted: string;
}

@Injectable()
export class SigningKeys implements OnApplicationBootstrap {
  private active: Promise<SigningKey> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SIGNING_KEY_OPTIONS) private readonly options: SigningKeyOptions,
  ) {
    if (options.keyEncryptionKey.length !== KEY_ENCRYPTION_KEY_BYTES) {
      throw new Error(
        `the signing key-encryption key must be ${KEY_ENCRYPTION_KEY_BYTES} bytes, not ${options.keyEncryptionKey.length}`,
      );
    }
  }

  /** The key new tokens are signed with: loaded (or, on the very first start, generated) once, then cached. */
  activeKey(): Promise<SigningKey> {
    this.active ??= this.loadActiveKey().catch((error: unknown) => {
      this.active = undefined; // a failed load (database down) is retried by the next caller
      throw error;
    });
    return this.active;
  }

  /** Public keys for /jwks: every key not retired, so tokens signed before a rotation still verify. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.activeKey();
    const rows: Pick<SigningKeyRow, 'public_jwk'>[] = await this.dataSource.query(
      `SELECT public_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid`,
    );
    return { keys: rows.map((row) => row.public_jwk) };
  }

  /** A wrong key-encryption key stops the service at start, instead of failing every token request. */
  async onApplicationBootstrap(): Promise<void> {
    await this.activeKey();
  }

  private async loadActiveKey(): Promise<SigningKey> {
    const stored = (await findActiveKey(this.dataSource.manager)) ?? (await this.createActiveKey());
    try {
      return await openSigningKey(stored, this.options.keyEncryptionKey);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_JWE_DECRYPTION_FAILED') throw error;
      throw new ConfigurationError([
        `BACKCHANNEL_KEY_ENCRYPTION_KEY: does not open the stored signing key ${stored.kid} (it was sealed with another key)`,
      ]);
    }
  }

  private createActiveKey(): Promise<StoredSigningKey> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [KEY_CREATION_LOCK]);
      // Read committed: this statement sees a key committed by whoever held the lock before us.
      const existing = await findActiveKey(manager);
      if (existing) return existing;
      const created = await generateSigningKey(this.options.alg ?? 'ES256', this.options.keyEncryptionKey);
      await manager.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_encrypted) VALUES ($1, $2, $3, $4)`,
        [created.kid, created.alg, JSON.stringify(created.publicJwk), created.sealedPrivateJwk],
      );
      return created;
    });
  }
}

async function findActiveKey(manager: EntityManager): Promise<StoredSigningKey | null> {
  const rows: SigningKeyRow[] = await manager.query(
    `SELECT kid, alg, public_jwk, private_jwk_encrypted FROM signing_keys
     WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1`,
  );
  const row = rows[0];
  return row
    ? { kid: row.kid, alg: row.alg, publicJwk: row.public_jwk, sealedPrivateJwk: row.private_jwk_encrypted }
    : null;
}
