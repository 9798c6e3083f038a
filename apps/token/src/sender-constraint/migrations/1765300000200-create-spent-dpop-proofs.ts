import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The jti of every DPoP proof accepted while it could still be replayed (RFC 9449 §11.1), shared
 * by every replica of the token service. Keyed by the proof's key too, so one client's jti never
 * collides with another's.
 */
export class CreateSpentDpopProofs1765300000200 implements MigrationInterface {
  name = 'CreateSpentDpopProofs1765300000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE spent_dpop_proofs (
        jkt text NOT NULL,
        jti text NOT NULL,
        -- after this the proof is refused for its age, so the row may go
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (jkt, jti)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS spent_dpop_proofs`);
  }
}
