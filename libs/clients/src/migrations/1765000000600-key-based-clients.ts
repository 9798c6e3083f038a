import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clients that authenticate with their keys (private_key_jwt) have no secret; the jti of every
 * accepted client assertion and signed request is kept until it expires, so no replica accepts
 * it twice.
 */
export class KeyBasedClients1765000000600 implements MigrationInterface {
  name = 'KeyBasedClients1765000000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE clients ALTER COLUMN secret_sha256 DROP NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS spent_client_jwts (
        client_id text NOT NULL,
        jti_sha256 text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (client_id, jti_sha256)
      )`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS spent_client_jwts_by_expiry ON spent_client_jwts (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS spent_client_jwts`);
    await queryRunner.query(`DELETE FROM clients WHERE secret_sha256 IS NULL`);
    await queryRunner.query(`ALTER TABLE clients ALTER COLUMN secret_sha256 SET NOT NULL`);
  }
}
