import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Abuse limits (backchannel): one row per open request, the slot it takes of its user's quota.
 * Written in the transaction that records AuthRequested, deleted when the request is decided; an
 * expired row no longer counts and is removed at the user's next request.
 */
export class PendingRequestQuotas1763700000005 implements MigrationInterface {
  name = 'PendingRequestQuotas1763700000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE pending_request_slots (
        stream_id text PRIMARY KEY,
        subject text NOT NULL,
        client_id text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX pending_request_slots_subject ON pending_request_slots (subject, client_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS pending_request_slots`);
  }
}
