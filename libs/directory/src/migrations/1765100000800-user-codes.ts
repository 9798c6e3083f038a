import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CIBA user codes (§7.1.2): each user's code, hashed (scrypt), with the wrong attempts counted
 * since the last right one and the time before which no attempt is checked.
 */
export class UserCodes1765100000800 implements MigrationInterface {
  name = 'UserCodes1765100000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS user_codes (
        subject text PRIMARY KEY REFERENCES users (subject),
        code_hash text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        blocked_until timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS user_codes`);
  }
}
