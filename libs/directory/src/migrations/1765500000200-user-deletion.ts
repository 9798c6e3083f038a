import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user can be deleted: their user code goes with them, and their sub is kept in deleted_users
 * (kept for good, as the events are: a sub is never reassigned, OIDC Core §2).
 */
export class UserDeletion1765500000200 implements MigrationInterface {
  name = 'UserDeletion1765500000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS deleted_users (
        subject text PRIMARY KEY,
        deleted_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      ALTER TABLE user_codes
        DROP CONSTRAINT IF EXISTS user_codes_subject_fkey,
        ADD CONSTRAINT user_codes_subject_fkey FOREIGN KEY (subject) REFERENCES users (subject) ON DELETE CASCADE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE user_codes
        DROP CONSTRAINT IF EXISTS user_codes_subject_fkey,
        ADD CONSTRAINT user_codes_subject_fkey FOREIGN KEY (subject) REFERENCES users (subject)`);
    await queryRunner.query(`DROP TABLE IF EXISTS deleted_users`);
  }
}
