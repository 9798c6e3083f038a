import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Token signing keys, the private half sealed. IF NOT EXISTS: split out of the first migration. */
export class CreateSigningKeys1763700000200 implements MigrationInterface {
  name = 'CreateSigningKeys1763700000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        public_jwk jsonb NOT NULL,
        private_jwk_encrypted text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS signing_keys`);
  }
}
