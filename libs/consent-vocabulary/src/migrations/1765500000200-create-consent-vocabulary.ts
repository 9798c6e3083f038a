import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The words of the API scopes and authorization detail types, as the user is shown them. Read by
 * kind and name, which the primary key serves (a request asks for a few names of each kind).
 */
export class CreateConsentVocabulary1765500000200 implements MigrationInterface {
  name = 'CreateConsentVocabulary1765500000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS consent_vocabulary (
        kind text NOT NULL CHECK (kind IN ('scope', 'authorization_detail_type')),
        name text NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (kind, name)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS consent_vocabulary`);
  }
}
