import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The push_issuances table: push requests that will need tokens once the user approves. */
@Injectable()
export class PushIssuances {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Expects approvals of these push requests, in one statement; requests that expired unanswered are forgotten meanwhile. */
  async expect(requests: readonly { streamId: string; expiresAt: string }[], now: Date): Promise<void> {
    if (requests.length === 0) return;
    await this.dataSource.query(
      `WITH expired AS (DELETE FROM push_issuances WHERE expires_at <= $3)
       INSERT INTO push_issuances (stream_id, expires_at)
       SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT (stream_id) DO NOTHING`,
      [requests.map((request) => request.streamId), requests.map((request) => request.expiresAt), now],
    );
  }

  /** Those of the streams whose tokens are expected (push requests approved and not yet issued). */
  async expectedAmong(streamIds: readonly string[]): Promise<Set<string>> {
    if (streamIds.length === 0) return new Set();
    const rows: { stream_id: string }[] = await this.dataSource.query(
      `SELECT stream_id FROM push_issuances WHERE stream_id = ANY($1::text[])`,
      [streamIds],
    );
    return new Set(rows.map((row) => row.stream_id));
  }

  /** The tokens were issued, or never will be. */
  async settle(streamId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM push_issuances WHERE stream_id = $1`, [streamId]);
  }
}
