import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What consumers and log tailers keep: the checkpoint of each log subscription, the processed-message
 * records of idempotent consumers, and the dead letters of the embedded mode (which has no Kafka
 * dead-letter topics). IF NOT EXISTS: split out of the first migration, which created every table.
 */
export class CreateMessagingTables1763700000100 implements MigrationInterface {
  name = 'CreateMessagingTables1763700000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS subscription_checkpoints (
        subscription text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS processed_messages (
        consumer text NOT NULL,
        message_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
    // messages a consumer group gave up on (poison, or failing unexpectedly again and again), kept
    // with their headers and the failure so an operator can inspect and replay them
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS dead_letters (
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
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS dead_letters_by_group ON dead_letters (consumer_group, failed_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS dead_letters, processed_messages, subscription_checkpoints`);
  }
}
