import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import type { EventStoreTransaction } from '@backchannel/event-store';
import { AccessDenied } from '@backchannel/oauth';
import { type OpenRequests, exceedsPendingLimits } from './pending-quota.js';

/** The slot one open request takes of its user's quota. */
export interface PendingRequestSlot {
  streamId: string;
  subject: string;
  clientId: string;
  expiresAt: Date;
}

/** One answer for either cap, so a client learns nothing of what other clients asked. */
export const TOO_MANY_PENDING_REQUESTS = 'Too many pending authentication requests for this user.';

/**
 * The pending_request_slots table: a row per open request. Slots are taken one user at a time
 * under a transaction-scoped advisory lock, so concurrent requests for a user are counted one
 * after another and never pass a cap together.
 */
@Injectable()
export class PendingRequestSlots {
  private readonly limits: BackchannelConfig['abuseLimits'];

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.limits = config.abuseLimits;
  }

  /**
   * Takes a slot in the transaction that records the request, or throws access_denied, which
   * rolls the request back. `now` is the request's time: slots that expired by then are removed.
   */
  async reserve(tx: EventStoreTransaction, slot: PendingRequestSlot, now: Date): Promise<void> {
    // Namespaced, so a subject never shares a key with another advisory lock (log tailers, key creation).
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('pending-request-slots:' || $1, 0))`, [slot.subject]);
    // A statement of its own, after the lock: its snapshot sees every slot committed before.
    const [open] = await tx.query<OpenRequests>(
      `WITH expired AS (DELETE FROM pending_request_slots WHERE subject = $1 AND expires_at <= $3)
       SELECT count(*)::int AS "forUser", (count(*) FILTER (WHERE client_id = $2))::int AS "forClient"
         FROM pending_request_slots
        WHERE subject = $1 AND expires_at > $3`,
      [slot.subject, slot.clientId, now],
    );
    if (exceedsPendingLimits(open!, this.limits)) throw new AccessDenied(TOO_MANY_PENDING_REQUESTS, 403);
    await tx.query(
      `INSERT INTO pending_request_slots (stream_id, subject, client_id, expires_at) VALUES ($1, $2, $3, $4)`,
      [slot.streamId, slot.subject, slot.clientId, slot.expiresAt],
    );
  }

  /** The request was decided: its slot is free. Harmless when repeated. */
  async release(streamId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM pending_request_slots WHERE stream_id = $1`, [streamId]);
  }
}
