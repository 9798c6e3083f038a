import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Credential guessing: per client address and surface (admin, device), the failures of its current window (operational state). */
export class CreateAuthenticationFailures1765900004200 implements MigrationInterface {
  name = 'CreateAuthenticationFailures1765900004200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE authentication_failures (
        address text NOT NULL,
        surface text NOT NULL,
        failures integer NOT NULL,
        window_ends_at timestamptz NOT NULL,
        PRIMARY KEY (address, surface)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE authentication_failures`);
  }
}
