import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters of both modes live in this table (Kafka's per-group topics are gone): an operator
 * lists, retries and discards them one by one (`ops dead-letters`), which a topic cannot do. Where a
 * Kafka message sat is kept, and a retry is a request the consumer group's service picks up.
 */
export class DeadLettersForOperators1765200000100 implements MigrationInterface {
  name = 'DeadLettersForOperators1765200000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dead_letters
        ADD COLUMN IF NOT EXISTS source_partition integer,
        ADD COLUMN IF NOT EXISTS source_offset text,
        ADD COLUMN IF NOT EXISTS retry_requested_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS dead_letters_retry_requested ON dead_letters (consumer_group, id)
       WHERE retry_requested_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS dead_letters_retry_requested`);
    await queryRunner.query(
      `ALTER TABLE dead_letters DROP COLUMN source_partition, DROP COLUMN source_offset, DROP COLUMN retry_requested_at`,
    );
  }
}
