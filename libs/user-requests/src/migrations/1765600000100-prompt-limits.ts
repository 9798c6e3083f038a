import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Push bombing by rate: each answer keeps its denial reason (the backoff after a denial), the
 * client's recent requests to a user are found by index, and "this wasn't me" blocks the client
 * for that user until the block lapses or the user lifts it.
 */
export class PromptLimits1765600000100 implements MigrationInterface {
  name = 'PromptLimits1765600000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_requests ADD COLUMN denial text`);
    await queryRunner.query(
      `CREATE INDEX user_requests_by_client ON user_requests (subject, client_id, created_at DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE client_blocks (
        subject text NOT NULL,
        client_id text NOT NULL,
        client_name text NOT NULL,
        blocked_at timestamptz NOT NULL,
        PRIMARY KEY (subject, client_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE client_blocks`);
    await queryRunner.query(`DROP INDEX user_requests_by_client`);
    await queryRunner.query(`ALTER TABLE user_requests DROP COLUMN denial`);
  }
}
