import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dynamic registration (RFC 7591) and its management (RFC 7592): a client registered there holds a
 * registration access token (kept as its SHA-256), and initial access tokens, issued through the
 * admin API, let software register (kept as their SHA-256, used once, until they expire).
 */
export class ClientRegistrationManagement1765100001000 implements MigrationInterface {
  name = 'ClientRegistrationManagement1765100001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE clients ADD COLUMN IF NOT EXISTS registration_token_sha256 text`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS initial_access_tokens (
        token_sha256 text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS initial_access_tokens`);
    await queryRunner.query(`ALTER TABLE clients DROP COLUMN IF EXISTS registration_token_sha256`);
  }
}
