import type { MigrationInterface, QueryRunner } from 'typeorm';

/** auth_req_id guessing: per client, the invalid_grant answers of its current window (operational state). */
export class CreateInvalidGrantThrottle1765600000000 implements MigrationInterface {
  name = 'CreateInvalidGrantThrottle1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE invalid_grant_throttle (
        client_id text PRIMARY KEY,
        failures integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE invalid_grant_throttle`);
  }
}
