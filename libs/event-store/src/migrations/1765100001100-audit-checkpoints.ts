import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed checkpoints of the event log (see audit-checkpoints.ts): each names the head of every
 * stream written since the one before, chained to it, signed with a dedicated audit key whose
 * private half is sealed with the key-encryption key, like the token signing keys.
 */
export class AuditCheckpoints1765100001100 implements MigrationInterface {
  name = 'AuditCheckpoints1765100001100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS audit_keys (
        kid text PRIMARY KEY,
        public_jwk jsonb NOT NULL,
        private_jwk_encrypted text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS audit_checkpoints (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL,
        up_to_transaction xid8 NOT NULL,
        up_to_position bigint NOT NULL,
        heads jsonb NOT NULL,
        previous_digest text NOT NULL,
        digest text NOT NULL,
        kid text NOT NULL REFERENCES audit_keys (kid),
        signature text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS audit_checkpoints, audit_keys`);
  }
}
