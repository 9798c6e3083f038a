import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The push_issuances table: push requests that will need tokens once the user approves. */
@Injectable()
export class PushIssuances {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Expects an approval of this push request; requests that expired unanswered are forgotten meanwhile. */
  async expect(streamId: string, expiresAt: string, now: Date): Promise<void> {
    await this.dataSource.query(
      `WITH expired AS (DELETE FROM push_issuances WHERE expires_at <= $3)
       INSERT INTO push_issuances (stream_id, expires_at) VALUES ($1, $2) ON CONFLICT (stream_id) DO NOTHING`,
      [streamId, expiresAt, now],
    );
  }

  /** Whether tokens are expected for this stream (a push request approved and not yet issued). */
  async isExpected(streamId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM push_issuances WHERE stream_id = $1`, [
      streamId,
    ]);
    return rows.length > 0;
  }

  /** The tokens were issued, or never will be. */
  async settle(streamId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM push_issuances WHERE stream_id = $1`, [streamId]);
  }
}
