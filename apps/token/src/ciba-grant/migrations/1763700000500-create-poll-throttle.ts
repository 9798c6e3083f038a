import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Poll throttling is operational state, not history: one row per request stream, updated
 * atomically. IF NOT EXISTS: split out of the first migration, which created every table.
 */
export class CreatePollThrottle1763700000500 implements MigrationInterface {
  name = 'CreatePollThrottle1763700000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS poll_throttle (
        stream_id text PRIMARY KEY,
        last_poll_at timestamptz NOT NULL,
        interval_seconds integer NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS poll_throttle`);
  }
}
