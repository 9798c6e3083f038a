import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The notifier's device channels: how each device is notified (a device without a row uses the
 * device API and is not sent anything), the VAPID key pair kept when none is configured, one
 * leased delivery job per request and device, and the one-time callback tokens of the
 * Keycloak-compatible channel (SHA-256 digests; each attempt sends a new one, any of them may be
 * used once, and the decider takes only the first decision).
 */
export class DeviceChannels1763700000003 implements MigrationInterface {
  name = 'DeviceChannels1763700000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE device_channels (
        device_id text PRIMARY KEY REFERENCES devices (device_id) ON DELETE CASCADE,
        channel text NOT NULL CHECK (channel IN ('web-push', 'webhook', 'keycloak-http')),
        settings jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE vapid_keys (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        public_key text NOT NULL,
        sealed_private_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE device_notification_jobs (
        stream_id text NOT NULL,
        device_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        lease_until timestamptz,
        done_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, device_id)
      )`);
    await queryRunner.query(`
      CREATE INDEX device_notification_jobs_due ON device_notification_jobs (next_attempt_at)
      WHERE done_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE channel_callback_tokens (
        token_sha256 text PRIMARY KEY,
        stream_id text NOT NULL,
        device_id text NOT NULL,
        subject text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['channel_callback_tokens', 'device_notification_jobs', 'vapid_keys', 'device_channels']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
