import { randomToken, sha256Hex } from '@backchannel/crypto';
import { PostgresEventStore } from '@backchannel/event-store';
import { type InitialAccessTokenIssued, type NewEvent, initialAccessTokenStreamId } from '@backchannel/events';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type RegistrationContext, eventMetadata } from './client-registry.service.js';

/** How long an initial access token may wait to be used, unless the admin says otherwise. */
export const DEFAULT_INITIAL_ACCESS_TOKEN_SECONDS = 24 * 3600;

/**
 * RFC 7591 §3 initial access tokens: the admin API issues them, software presents one at /register
 * to register a client. Kept as their SHA-256 only; each registers one client, until it expires.
 */
@Injectable()
export class InitialAccessTokens {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
  ) {}

  /**
   * A new token, recorded (InitialAccessTokenIssued, in a stream of its own under a random id:
   * never the token or its digest) with the actor, in the same transaction.
   */
  async issue(expiresInSeconds: number, context: RegistrationContext): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken(32);
    const tokenId = `iat_${randomToken(16)}`;
    const expiresAt = new Date(context.now.getTime() + expiresInSeconds * 1000);
    const event: NewEvent<InitialAccessTokenIssued> = {
      type: 'InitialAccessTokenIssued',
      schemaVersion: 1,
      data: { tokenId, expiresAt: expiresAt.toISOString(), issuedAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    };
    await this.store.transaction(async (tx) => {
      await tx.query(`INSERT INTO initial_access_tokens (token_sha256, expires_at) VALUES ($1, $2)`, [
        sha256Hex(token),
        expiresAt,
      ]);
      await tx.appendToStream(initialAccessTokenStreamId(tokenId), 0, [event]);
    });
    return { token, expiresAt };
  }

  /** Uses the token up: true once, for a token issued here and not expired; the expired ones go too. */
  async redeem(token: string, now: Date): Promise<boolean> {
    const used: { token_sha256: string }[] = await this.dataSource.query(
      `WITH used AS (DELETE FROM initial_access_tokens WHERE token_sha256 = $1 RETURNING token_sha256, expires_at)
       SELECT token_sha256 FROM used WHERE expires_at > $2`,
      [sha256Hex(token), now],
    );
    await this.dataSource.query(`DELETE FROM initial_access_tokens WHERE expires_at <= $1`, [now]);
    return used.length === 1;
  }
}
