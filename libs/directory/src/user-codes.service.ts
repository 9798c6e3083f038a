import { Injectable } from '@nestjs/common';
import { hashLowEntropySecret, verifyLowEntropySecret } from '@backchannel/crypto';
import { PostgresEventStore } from '@backchannel/event-store';
import { type NewEvent, type UserCodeSet, userStreamId } from '@backchannel/events';
import { DataSource } from 'typeorm';
import { type LifecycleContext, lifecycleMetadata } from './device.js';
import { FOREIGN_KEY_VIOLATION, violatedConstraint } from './constraint-violation.js';
import { DirectoryValidationError, UnknownUserError } from './directory-errors.js';

/** Attempts checked freely since the last right code; each one after that waits longer. */
export const FREE_USER_CODE_ATTEMPTS = 3;
const FIRST_WAIT_SECONDS = 30;
const MAX_WAIT_SECONDS = 3600;
const USER_CODE_SYNTAX = /^[\x21-\x7E]{4,64}$/;

/** How a presented user code fared. */
export type UserCodeVerdict =
  | { outcome: 'accepted' }
  | { outcome: 'wrong' }
  /** The user has no code: none can be right. */
  | { outcome: 'not_set' }
  /** Too many wrong attempts: none is checked for this many more seconds. */
  | { outcome: 'throttled'; retryAfterSeconds: number };

/**
 * CIBA user codes (§7.1.2): a secret the user chose, set through the admin API and kept only as
 * its scrypt hash. Guessing is throttled per user across replicas: every attempt is counted in
 * the statement that admits it, before the code is compared, so a burst of parallel guesses gets
 * no more tries than a sequence; after FREE_USER_CODE_ATTEMPTS wrong ones each further attempt
 * waits twice as long as the last (30 s, 60 s, ... at most an hour). A right code resets the count.
 */
@Injectable()
export class UserCodes {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
  ) {}

  /** Sets (or replaces) the user's code: 4 to 64 printable ASCII characters; recorded (UserCodeSet) with it. */
  async set(subject: string, code: unknown, context: LifecycleContext): Promise<void> {
    if (typeof code !== 'string' || !USER_CODE_SYNTAX.test(code)) {
      throw new DirectoryValidationError('user_code must be 4 to 64 printable ASCII characters without spaces');
    }
    const hash = await hashLowEntropySecret(code);
    const event: NewEvent<UserCodeSet> = {
      type: 'UserCodeSet',
      schemaVersion: 1,
      data: { subject, setAt: context.now.toISOString() },
      metadata: lifecycleMetadata(context),
    };
    try {
      await this.store.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO user_codes (subject, code_hash) VALUES ($1, $2)
           ON CONFLICT (subject) DO UPDATE SET code_hash = EXCLUDED.code_hash, attempts = 0, blocked_until = NULL`,
          [subject, hash],
        );
        await tx.appendToStream(userStreamId(subject), 'any', [event]);
      });
    } catch (error) {
      if (violatedConstraint(error, FOREIGN_KEY_VIOLATION)) throw new UnknownUserError(subject);
      throw error;
    }
  }

  async verify(subject: string, code: string, now: Date): Promise<UserCodeVerdict> {
    // Admit and count the attempt in one statement (the row lock orders concurrent ones); a CTE
    // so that the driver hands back the rows, as for a SELECT.
    const admitted: { code_hash: string }[] = await this.dataSource.query(
      `WITH admitted AS (
         UPDATE user_codes
            SET attempts = attempts + 1,
                blocked_until = CASE WHEN attempts + 1 > $3
                  THEN $2::timestamptz + make_interval(secs => LEAST($4 * power(2, attempts - $3), $5))
                  ELSE NULL END
          WHERE subject = $1 AND (blocked_until IS NULL OR blocked_until <= $2)
          RETURNING code_hash)
       SELECT code_hash FROM admitted`,
      [subject, now, FREE_USER_CODE_ATTEMPTS, FIRST_WAIT_SECONDS, MAX_WAIT_SECONDS],
    );
    const row = admitted[0];
    if (!row) return this.notAdmitted(subject, now);
    if (!(await verifyLowEntropySecret(code, row.code_hash))) return { outcome: 'wrong' };
    await this.dataSource.query(`UPDATE user_codes SET attempts = 0, blocked_until = NULL WHERE subject = $1`, [
      subject,
    ]);
    return { outcome: 'accepted' };
  }

  private async notAdmitted(subject: string, now: Date): Promise<UserCodeVerdict> {
    const rows: { blocked_until: Date }[] = await this.dataSource.query(
      `SELECT blocked_until FROM user_codes WHERE subject = $1`,
      [subject],
    );
    const blockedUntil = rows[0]?.blocked_until;
    if (!blockedUntil) return { outcome: 'not_set' };
    return {
      outcome: 'throttled',
      retryAfterSeconds: Math.max(1, Math.ceil((blockedUntil.getTime() - now.getTime()) / 1000)),
    };
  }
}
