import { Injectable } from '@nestjs/common';
import { type AuthRequestState, authRequestDecider, isExpired } from '@backchannel/auth-request';
import { type LogVerification, verifyLog } from '@backchannel/crypto';
import { poolSql, readStoredStream } from '@backchannel/event-store';
import {
  type AuthRequestEvent,
  type RecordedEvent,
  type TimelineEntry,
  timelineEntry,
  upcast,
} from '@backchannel/events';
import { DeadLetterStore, LOG_READER_LAGS, type StoredDeadLetter } from '@backchannel/messaging';
import { DataSource } from 'typeorm';

/** A recent CIBA request as the console lists it: never its auth_req_id (the stream id is its hash). */
export interface RecentRequest {
  streamId: string;
  requestId: string;
  clientId: string;
  subject: string;
  deliveryMode: string;
  requestedAt: string;
  /** As the decider folds it, and `Expired` for a pending or approved request past its expiry. */
  status: string;
  events: number;
}

/** Streams of the most recent AuthRequested events, each read whole in the same statement. */
const RECENT_STREAMS = `
  SELECT e.stream_id, e.stream_version, e.global_position, e.recorded_at, e.event_id, e.event_type,
         e.schema_version, e.data, e.metadata, e.previous_hash, e.hash
    FROM (SELECT stream_id FROM events WHERE event_type = 'AuthRequested' ORDER BY global_position DESC LIMIT $1) AS recent
    JOIN events e USING (stream_id)
   ORDER BY e.stream_id, e.stream_version`;

/**
 * What the admin console shows, read from the database of the process that serves it: the same
 * fold, timeline and verification as the services and `ops` use, never a second version of them.
 */
@Injectable()
export class AdminConsoleQueries {
  private readonly run;
  private readonly deadLetters: DeadLetterStore;

  constructor(dataSource: DataSource) {
    this.run = poolSql(dataSource);
    this.deadLetters = new DeadLetterStore(dataSource);
  }

  async recentRequests(limit: number, now: Date): Promise<RecentRequest[]> {
    const rows = await this.run<{
      stream_id: string;
      stream_version: number;
      event_type: string;
      schema_version: number;
      event_id: string;
      data: unknown;
      metadata: RecordedEvent['metadata'];
    }>(RECENT_STREAMS, [limit]);
    const byStream = new Map<string, RecordedEvent<AuthRequestEvent>[]>();
    for (const row of rows) {
      const event = upcast<AuthRequestEvent>({
        eventId: row.event_id,
        type: row.event_type,
        schemaVersion: row.schema_version,
        data: row.data,
        metadata: row.metadata,
      }) as RecordedEvent<AuthRequestEvent>;
      byStream.set(row.stream_id, [...(byStream.get(row.stream_id) ?? []), event]);
    }
    const requests = [...byStream].flatMap(([streamId, events]) => {
      const state = events.reduce(
        (folded: AuthRequestState, event) => authRequestDecider.evolve(folded, event),
        authRequestDecider.initialState(),
      );
      if (state.status === 'Empty') return [];
      const { request } = state;
      const expired =
        (state.status === 'Pending' || state.status === 'Approved') && isExpired(state, now.toISOString());
      return [
        {
          streamId,
          requestId: request.requestId,
          clientId: request.clientId,
          subject: request.subject,
          deliveryMode: request.deliveryMode,
          requestedAt: request.requestedAt,
          status: expired ? 'Expired' : state.status,
          events: events.length,
        },
      ];
    });
    return requests.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }

  async timeline(streamId: string): Promise<TimelineEntry[]> {
    return (await readStoredStream(this.run, streamId)).map(timelineEntry);
  }

  verify(): Promise<LogVerification> {
    return verifyLog(this.run, { all: true }, null);
  }

  deadLetterList(): Promise<StoredDeadLetter[]> {
    return this.deadLetters.list({ limit: 100 });
  }

  readerLags(): Promise<{ subscription: string; updated_at: Date; behind: number }[]> {
    return this.run(LOG_READER_LAGS, []);
  }
}
