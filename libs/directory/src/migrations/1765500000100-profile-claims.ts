import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A column each, named as the claim. */
const CLAIM_COLUMNS: readonly [string, string][] = [
  ['given_name', 'text'],
  ['family_name', 'text'],
  ['middle_name', 'text'],
  ['nickname', 'text'],
  ['profile', 'text'],
  ['picture', 'text'],
  ['website', 'text'],
  ['gender', 'text'],
  ['birthdate', 'text'], // YYYY or YYYY-MM-DD: not always a date
  ['zoneinfo', 'text'],
  ['locale', 'text'],
  ['email_verified', 'boolean'],
  ['phone_number_verified', 'boolean'],
  ['address', 'jsonb'],
];

/**
 * The OIDC standard claims the directory keeps, and when a user's claims last changed (for
 * existing users: when they were created).
 */
export class ProfileClaims1765500000100 implements MigrationInterface {
  name = 'ProfileClaims1765500000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns = CLAIM_COLUMNS.map(([column, type]) => `ADD COLUMN IF NOT EXISTS ${column} ${type}`);
    await queryRunner.query(`ALTER TABLE users ${columns.join(', ')}, ADD COLUMN IF NOT EXISTS updated_at timestamptz`);
    await queryRunner.query(`UPDATE users SET updated_at = created_at WHERE updated_at IS NULL`);
    await queryRunner.query(
      `ALTER TABLE users ALTER COLUMN updated_at SET DEFAULT now(), ALTER COLUMN updated_at SET NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const columns = [...CLAIM_COLUMNS.map(([column]) => column), 'updated_at'];
    await queryRunner.query(
      `ALTER TABLE users ${columns.map((column) => `DROP COLUMN IF EXISTS ${column}`).join(', ')}`,
    );
  }
}
