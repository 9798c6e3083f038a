import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A user can be disabled: asked nothing, their devices refused, their tokens not accepted. */
export class UserDisabling1765400000300 implements MigrationInterface {
  name = 'UserDisabling1765400000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN IF EXISTS disabled_at`);
  }
}
