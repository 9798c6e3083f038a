import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The push requests waiting for the user's consent (token service): so that an approval of a poll
 * or ping request is recognised as nothing to mint without reading its stream.
 */
export class CreatePushIssuances1765000000300 implements MigrationInterface {
  name = 'CreatePushIssuances1765000000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE push_issuances (
        stream_id text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX push_issuances_expiry ON push_issuances (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS push_issuances`);
  }
}
