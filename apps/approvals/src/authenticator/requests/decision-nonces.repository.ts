import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * The single-use nonces of decision challenges (decision_nonces): one open nonce per request and
 * device, replaced when the device asks again and deleted when it is used, whatever the outcome.
 * (The DELETE is wrapped in a SELECT because DataSource.query answers a bare DELETE with [rows, count].)
 */
@Injectable()
export class DecisionNoncesRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async issue(requestId: string, deviceId: string, nonce: string, expiresAt: Date, now: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM decision_nonces WHERE device_id = $1 AND expires_at <= $2`, [
      deviceId,
      now,
    ]);
    await this.dataSource.query(
      `INSERT INTO decision_nonces (request_id, device_id, nonce, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (request_id, device_id) DO UPDATE SET nonce = excluded.nonce, expires_at = excluded.expires_at`,
      [requestId, deviceId, nonce, expiresAt],
    );
  }

  /** Uses up the device's nonce for the request: the nonce if it was still valid at `now`, else null. */
  async take(requestId: string, deviceId: string, now: Date): Promise<string | null> {
    const rows: { nonce: string; expires_at: Date }[] = await this.dataSource.query(
      `WITH taken AS (
         DELETE FROM decision_nonces WHERE request_id = $1 AND device_id = $2 RETURNING nonce, expires_at)
       SELECT nonce, expires_at FROM taken`,
      [requestId, deviceId],
    );
    const taken = rows[0];
    return taken && taken.expires_at > now ? taken.nonce : null;
  }
}
