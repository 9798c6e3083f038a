import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The token response of each auth_req_id redeemed at /token, for the short window in which the
 * same client's retry is answered with it again (IssuedResponses). Sealed with a key derived from
 * the auth_req_id, which is stored nowhere: the table alone reveals no token.
 */
export class CreateIssuedResponses1765700000100 implements MigrationInterface {
  name = 'CreateIssuedResponses1765700000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE issued_responses (
        stream_id text PRIMARY KEY,
        sealed_response text NOT NULL,
        -- the end of the retry window: then the row goes
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX issued_responses_expires_at ON issued_responses (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS issued_responses`);
  }
}
