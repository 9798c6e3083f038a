import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { sha256Hex } from '@backchannel/crypto';
import type { EventStoreTransaction } from '@backchannel/event-store';

/** Whom a callback token speaks for: one device of the request's user, for one request. */
export interface CallbackGrant {
  streamId: string;
  deviceId: string;
  subject: string;
}

/**
 * The channel_callback_tokens table: the bearer tokens sent to the authentication channel, kept
 * only as SHA-256 digests. A token is good until the request expires, and for one callback.
 */
@Injectable()
export class ChannelCallbackTokens {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Kept before the token is sent, so a backend that calls back at once finds it. */
  async keep(token: string, grant: CallbackGrant, expiresAt: Date | string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO channel_callback_tokens (token_sha256, stream_id, device_id, subject, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [sha256Hex(token), grant.streamId, grant.deviceId, grant.subject, expiresAt],
    );
  }

  /** What an unused, unexpired token grants, or null (the lookup is by digest: its timing tells nothing). */
  async find(token: string, now: Date): Promise<CallbackGrant | null> {
    const rows = (await this.dataSource.query(
      `SELECT stream_id, device_id, subject FROM channel_callback_tokens
        WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2`,
      [sha256Hex(token), now],
    )) as { stream_id: string; device_id: string; subject: string }[];
    const row = rows[0];
    return row ? { streamId: row.stream_id, deviceId: row.device_id, subject: row.subject } : null;
  }

  /** Spends the token in the decision's transaction; false when another callback spent it first. */
  async spend(tx: Pick<EventStoreTransaction, 'query'>, token: string, now: Date): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE channel_callback_tokens SET used_at = $2 WHERE token_sha256 = $1 AND used_at IS NULL RETURNING 1`,
      [sha256Hex(token), now],
    );
    return rows.length > 0;
  }
}
