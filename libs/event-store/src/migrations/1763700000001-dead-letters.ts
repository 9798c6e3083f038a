import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters of the embedded mode, which has no Kafka dead-letter topics: messages a consumer
 * group gave up on (poison, or failing unexpectedly again and again), kept with their headers and
 * the failure so an operator can inspect and replay them.
 */
export class DeadLetters1763700000001 implements MigrationInterface {
  name = 'DeadLetters1763700000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consumer_group text NOT NULL,
        topic text NOT NULL,
        message_key text,
        message_value text,
        headers jsonb NOT NULL,
        failure_kind text NOT NULL CHECK (failure_kind IN ('poison', 'unexpected')),
        error_name text NOT NULL,
        error_message text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX dead_letters_by_group ON dead_letters (consumer_group, failed_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS dead_letters`);
  }
}
