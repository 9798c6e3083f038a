import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ping-delivery's outbox of client notifications: one row per ping or push request, due once the
 * request is decided (or at expiry, for push). A worker leases due rows, so a crashed worker's
 * delivery is resent when its lease lapses; `done_at` ends the row once the outcome is an event.
 */
export class ClientNotificationJobs1763700000002 implements MigrationInterface {
  name = 'ClientNotificationJobs1763700000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE client_notification_jobs (
        stream_id text PRIMARY KEY,
        expires_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        lease_until timestamptz,
        done_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE INDEX client_notification_jobs_due ON client_notification_jobs (next_attempt_at)
      WHERE done_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS client_notification_jobs`);
  }
}
