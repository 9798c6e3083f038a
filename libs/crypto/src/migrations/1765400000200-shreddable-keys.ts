import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data keys of values that must stop being readable once they have served (pushed tokens, sealed
 * in TokensIssued): the value is encrypted with a key of its own, kept here sealed under the
 * key-encryption keys, and deleting the row shreds it, although the event stays as it was.
 */
export class ShreddableKeys1765400000200 implements MigrationInterface {
  name = 'ShreddableKeys1765400000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS shreddable_keys (
        key_id uuid PRIMARY KEY,
        -- what the value belongs to (a stream id): shredding is by owner
        owner text NOT NULL,
        sealed_key text NOT NULL,
        -- when the value is of no more use: the key goes then at the latest (retention)
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS shreddable_keys_owner ON shreddable_keys (owner)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS shreddable_keys`);
  }
}
