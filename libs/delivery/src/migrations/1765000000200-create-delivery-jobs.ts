import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One table for every retried delivery (the one delivery pipeline): client notifications (ping,
 * push) and device notifications. A job is keyed by its queue, its request's stream and its
 * recipient (the client, or the device). `wake_on` lists the event types that make it due at once;
 * `woken` remembers a wake-up that came while the job was leased. The two tables it replaces are
 * emptied into it (their unfinished jobs only) and dropped.
 */
export class CreateDeliveryJobs1765000000200 implements MigrationInterface {
  name = 'CreateDeliveryJobs1765000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE delivery_jobs (
        queue text NOT NULL CHECK (queue IN ('client-notification', 'device-notification')),
        stream_id text NOT NULL,
        recipient text NOT NULL,
        expires_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        wake_on text[] NOT NULL DEFAULT '{}',
        woken boolean NOT NULL DEFAULT false,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        lease_until timestamptz,
        done_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (queue, stream_id, recipient)
      )`);
    await queryRunner.query(`
      CREATE INDEX delivery_jobs_due ON delivery_jobs (queue, next_attempt_at) WHERE done_at IS NULL`);
    await queryRunner.query(`
      DO $$ BEGIN
        IF to_regclass('client_notification_jobs') IS NOT NULL THEN
          INSERT INTO delivery_jobs (queue, stream_id, recipient, expires_at, next_attempt_at, wake_on, attempts, last_error)
          SELECT 'client-notification', j.stream_id, e.data->>'clientId', j.expires_at, j.next_attempt_at,
                 CASE e.data->>'deliveryMode' WHEN 'ping' THEN '{ConsentGiven,ConsentDenied}'::text[]
                                              ELSE '{TokensIssued,ConsentDenied}'::text[] END,
                 j.attempts, j.last_error
            FROM client_notification_jobs j
            JOIN events e ON e.stream_id = j.stream_id AND e.stream_version = 1
           WHERE j.done_at IS NULL;
          DROP TABLE client_notification_jobs;
        END IF;
        IF to_regclass('device_notification_jobs') IS NOT NULL THEN
          INSERT INTO delivery_jobs (queue, stream_id, recipient, expires_at, next_attempt_at, attempts, last_error)
          SELECT 'device-notification', stream_id, device_id, expires_at, next_attempt_at, attempts, last_error
            FROM device_notification_jobs WHERE done_at IS NULL;
          DROP TABLE device_notification_jobs;
        END IF;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS delivery_jobs`);
  }
}
