import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When each passkey last signed a decision (null: never since this column came), for the admin API. */
export class PasskeyLastUse1765500000300 implements MigrationInterface {
  name = 'PasskeyLastUse1765500000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webauthn_credentials ADD COLUMN IF NOT EXISTS last_used_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webauthn_credentials DROP COLUMN IF EXISTS last_used_at`);
  }
}
