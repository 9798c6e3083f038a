import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventStoreTransaction } from '@backchannel/event-store';

/** An enrolment code that can still be redeemed, with the registration challenge last given for it. */
export interface OpenEnrolment {
  subject: string;
  registrationChallenge: string | null;
}

/**
 * One-time enrolment codes (enrolment_codes), kept only as SHA-256 digests. A code is open until
 * it expires or is redeemed; redeeming is one conditional UPDATE, so of two concurrent redemptions
 * exactly one succeeds. (The UPDATEs are wrapped in a SELECT because DataSource.query answers a
 * bare UPDATE with [rows, count].)
 */
@Injectable()
export class EnrolmentCodesRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** In the transaction that records it (EnrolmentIssued). */
  async create(
    codeSha256: string,
    subject: string,
    expiresAt: Date,
    sql: Pick<EventStoreTransaction, 'query'>,
  ): Promise<void> {
    await sql.query(`INSERT INTO enrolment_codes (code_sha256, subject, expires_at) VALUES ($1, $2, $3)`, [
      codeSha256,
      subject,
      expiresAt,
    ]);
  }

  async findOpen(codeSha256: string, now: Date): Promise<OpenEnrolment | null> {
    const rows: { subject: string; registration_challenge: string | null }[] = await this.dataSource.query(
      `SELECT subject, registration_challenge FROM enrolment_codes
        WHERE code_sha256 = $1 AND redeemed_at IS NULL AND expires_at > $2`,
      [codeSha256, now],
    );
    return rows[0] ? { subject: rows[0].subject, registrationChallenge: rows[0].registration_challenge } : null;
  }

  /** Keeps the challenge of the latest registration options; false when the code is no longer open. */
  async setRegistrationChallenge(codeSha256: string, challenge: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH updated AS (
         UPDATE enrolment_codes SET registration_challenge = $2
          WHERE code_sha256 = $1 AND redeemed_at IS NULL AND expires_at > $3
         RETURNING 1)
       SELECT * FROM updated`,
      [codeSha256, challenge, now],
    );
    return rows.length === 1;
  }

  /**
   * Uses the code up, if it is still open and was last given `challenge`: the subject it enrols, or
   * null. `sql`: the transaction that creates the device.
   */
  async redeem(
    codeSha256: string,
    challenge: string,
    now: Date,
    sql: Pick<EventStoreTransaction, 'query'>,
  ): Promise<string | null> {
    const rows: { subject: string }[] = await sql.query(
      `WITH redeemed AS (
         UPDATE enrolment_codes SET redeemed_at = $3
          WHERE code_sha256 = $1 AND registration_challenge = $2 AND redeemed_at IS NULL AND expires_at > $3
         RETURNING subject)
       SELECT subject FROM redeemed`,
      [codeSha256, challenge, now],
    );
    return rows[0]?.subject ?? null;
  }
}
