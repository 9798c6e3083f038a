import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each signing key starts signing: a next key is published before it signs. Keys stored
 * before signed from their creation. The default serves replicas of the previous version during a
 * rolling upgrade, which add a key only on a first start, to sign at once.
 */
export class SigningKeyActivation1765400000100 implements MigrationInterface {
  name = 'SigningKeyActivation1765400000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE signing_keys ADD COLUMN IF NOT EXISTS activates_at timestamptz`);
    await queryRunner.query(`UPDATE signing_keys SET activates_at = created_at WHERE activates_at IS NULL`);
    await queryRunner.query(`ALTER TABLE signing_keys ALTER COLUMN activates_at SET DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE signing_keys ALTER COLUMN activates_at SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE signing_keys DROP COLUMN IF EXISTS activates_at`);
  }
}
