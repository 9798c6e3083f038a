import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventStoreTransaction } from '@backchannel/event-store';
import type { AuthRequestEvent, RecordedEvent } from '@backchannel/events';

export type PendingRequestStatus = 'pending' | 'approved' | 'denied';

export interface PendingRequest {
  requestId: string;
  streamId: string;
  subject: string;
  clientId: string;
  clientName: string;
  scope: string[];
  bindingMessage: string | null;
  createdAt: Date;
  expiresAt: Date;
  status: PendingRequestStatus;
}

interface PendingRequestRow {
  request_id: string;
  stream_id: string;
  subject: string;
  client_id: string;
  client_name: string;
  scope: string[];
  binding_message: string | null;
  created_at: Date;
  expires_at: Date;
  status: PendingRequestStatus;
}

function toPendingRequest(row: PendingRequestRow): PendingRequest {
  return {
    requestId: row.request_id,
    streamId: row.stream_id,
    subject: row.subject,
    clientId: row.client_id,
    clientName: row.client_name,
    scope: row.scope,
    bindingMessage: row.binding_message,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    status: row.status,
  };
}

/** The device API's read model: what each user has been asked, keyed by the device-facing request id. */
@Injectable()
export class PendingRequestsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Projects one auth-request event (on the consumer's transaction). */
  async apply(tx: EventStoreTransaction, event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    switch (event.type) {
      case 'AuthRequested': {
        const { requestId, subject, clientId, clientName, scope, bindingMessage, requestedAt, expiresAt } = event.data;
        await tx.query(
          `INSERT INTO pending_requests
             (request_id, stream_id, subject, client_id, client_name, scope, binding_message, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (request_id) DO NOTHING`,
          [requestId, event.streamId, subject, clientId, clientName, scope, bindingMessage, requestedAt, expiresAt],
        );
        return;
      }
      case 'ConsentGiven':
        return this.setStatus(tx, event.data.requestId, 'approved');
      case 'ConsentDenied':
        return this.setStatus(tx, event.data.requestId, 'denied');
      case 'UserNotified':
      case 'NotificationFailed':
      case 'TokensIssued':
      case 'ClientNotified':
      case 'TokensPushed':
      case 'ClientNotificationFailed':
        return;
      default: {
        const unexpected: never = event;
        throw new Error(`unexpected event ${(unexpected as RecordedEvent).type}`);
      }
    }
  }

  async setStatus(tx: EventStoreTransaction, requestId: string, status: PendingRequestStatus): Promise<void> {
    await tx.query(`UPDATE pending_requests SET status = $2 WHERE request_id = $1`, [requestId, status]);
  }

  /** The user's undecided, unexpired requests, newest first. */
  async listPending(subject: string, now: Date): Promise<PendingRequest[]> {
    const rows: PendingRequestRow[] = await this.dataSource.query(
      `SELECT * FROM pending_requests
        WHERE subject = $1 AND status = 'pending' AND expires_at > $2
        ORDER BY created_at DESC, request_id`,
      [subject, now],
    );
    return rows.map(toPendingRequest);
  }

  async find(requestId: string): Promise<PendingRequest | null> {
    const rows: PendingRequestRow[] = await this.dataSource.query(
      `SELECT * FROM pending_requests WHERE request_id = $1`,
      [requestId],
    );
    return rows[0] ? toPendingRequest(rows[0]) : null;
  }
}
