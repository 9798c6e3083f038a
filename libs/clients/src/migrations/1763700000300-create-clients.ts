import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The client registry's read model (ClientRegistered). IF NOT EXISTS: split out of the first migration. */
export class CreateClients1763700000300 implements MigrationInterface {
  name = 'CreateClients1763700000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS clients (
        client_id text PRIMARY KEY,
        secret_sha256 text NOT NULL,
        metadata jsonb NOT NULL,
        registered_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS clients`);
  }
}
