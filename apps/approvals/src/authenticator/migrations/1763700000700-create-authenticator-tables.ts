import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The built-in authenticator: one-time enrolment codes (stored as SHA-256 digests, with the
 * registration challenge of the device redeeming them), the passkeys registered through them, and
 * the single-use nonces that bind a decision's WebAuthn challenge to what the device showed.
 * IF NOT EXISTS: the same tables as an older migration, renamed to run after the directory's.
 */
export class CreateAuthenticatorTables1763700000700 implements MigrationInterface {
  name = 'CreateAuthenticatorTables1763700000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS enrolment_codes (
        code_sha256 text PRIMARY KEY,
        subject text NOT NULL REFERENCES users (subject) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        registration_challenge text,
        redeemed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS webauthn_credentials (
        credential_id text PRIMARY KEY,
        device_id text NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
        subject text NOT NULL REFERENCES users (subject) ON DELETE CASCADE,
        public_key bytea NOT NULL,
        counter bigint NOT NULL CHECK (counter >= 0),
        transports text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS webauthn_credentials_by_device ON webauthn_credentials (device_id)`,
    );
    // One open challenge per request and device: asking again replaces it.
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS decision_nonces (
        request_id text NOT NULL,
        device_id text NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
        nonce text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (request_id, device_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['decision_nonces', 'webauthn_credentials', 'enrolment_codes']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
