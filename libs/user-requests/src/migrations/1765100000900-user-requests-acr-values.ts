import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The acr_values a request asked for travel to the device (the authenticator requires user verification for phr). */
export class UserRequestsAcrValues1765100000900 implements MigrationInterface {
  name = 'UserRequestsAcrValues1765100000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_requests ADD COLUMN IF NOT EXISTS acr_values text[] NOT NULL DEFAULT '{}'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_requests DROP COLUMN IF EXISTS acr_values`);
  }
}
