import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How devices are reached: each device's channel (a device without a row uses the device API and
 * is sent nothing), the VAPID key pair kept when none is configured, and the one-time callback
 * tokens of the Keycloak-compatible channel (SHA-256 digests; each attempt sends a new one, any of
 * them may be used once, and the decider takes only the first answer). IF NOT EXISTS: these were
 * created by an older migration together with a job table that no longer exists.
 */
export class CreateDeviceChannels1763700000600 implements MigrationInterface {
  name = 'CreateDeviceChannels1763700000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS device_channels (
        device_id text PRIMARY KEY REFERENCES devices (device_id) ON DELETE CASCADE,
        channel text NOT NULL CHECK (channel IN ('web-push', 'webhook', 'keycloak-http')),
        settings jsonb NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS vapid_keys (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        public_key text NOT NULL,
        sealed_private_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS channel_callback_tokens (
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
    await queryRunner.query(`DROP TABLE IF EXISTS channel_callback_tokens, vapid_keys, device_channels`);
  }
}
