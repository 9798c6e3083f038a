import { sha256Hex } from '@backchannel/crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Expired entries are swept at most this often per process (a spent jti matters only until its exp). */
const SWEEP_INTERVAL_MS = 60_000;

/** What a client signed: a client assertion (private_key_jwt) or a signed authentication request. */
export type ClientJwtKind = 'assertion' | 'request';

/**
 * The `jti`s of the JWTs clients sign, spent once. OIDC Core §9: a client assertion "MUST only be
 * used once"; a signed authentication request is refused when replayed too (CIBA §7.1.1 asks for
 * a unique `jti`). Kept in PostgreSQL, so every replica refuses what any replica accepted: one row
 * per client, kind and jti (digested, so a long jti costs no more than a short one), kept until
 * the JWT's `exp`.
 */
@Injectable()
export class SpentClientJwts {
  private lastSweep = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** True the first time this client's jti of this kind is spent; false on every replay. */
  async spend(clientId: string, kind: ClientJwtKind, jti: string, expiresAt: Date, now = new Date()): Promise<boolean> {
    await this.sweepExpired(now);
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO spent_client_jwts (client_id, jti_sha256, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (client_id, jti_sha256) DO NOTHING RETURNING 1`,
      [clientId, sha256Hex(`${kind}:${jti}`), expiresAt],
    );
    return rows.length === 1;
  }

  private async sweepExpired(now: Date): Promise<void> {
    if (now.getTime() - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now.getTime();
    await this.dataSource.query(`DELETE FROM spent_client_jwts WHERE expires_at < $1`, [now]);
  }
}
