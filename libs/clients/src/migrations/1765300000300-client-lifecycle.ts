import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A client can be disabled (and enabled again), and its secret rotated with a grace period in
 * which the previous secret (its digest) still authenticates.
 */
export class ClientLifecycle1765300000300 implements MigrationInterface {
  name = 'ClientLifecycle1765300000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE clients
        ADD COLUMN IF NOT EXISTS disabled_at timestamptz,
        ADD COLUMN IF NOT EXISTS previous_secret_sha256 text,
        ADD COLUMN IF NOT EXISTS previous_secret_valid_until timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE clients
        DROP COLUMN IF EXISTS disabled_at,
        DROP COLUMN IF EXISTS previous_secret_sha256,
        DROP COLUMN IF EXISTS previous_secret_valid_until`);
  }
}
