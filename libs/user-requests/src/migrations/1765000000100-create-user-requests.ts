import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The requests made to each user (see UserRequests). It replaces two models of the same thing:
 * the notifier's pending_requests (what devices listed) and the backchannel's pending_request_slots
 * (what the limits counted); the requests of the first are carried over, then both are dropped.
 */
export class CreateUserRequests1765000000100 implements MigrationInterface {
  name = 'CreateUserRequests1765000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_requests (
        request_id text PRIMARY KEY,
        stream_id text NOT NULL UNIQUE,
        subject text NOT NULL,
        client_id text NOT NULL,
        client_name text NOT NULL,
        scope text[] NOT NULL,
        binding_message text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        answered_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE INDEX user_requests_open ON user_requests (subject, created_at DESC) WHERE answered_at IS NULL`);
    await queryRunner.query(`
      DO $$ BEGIN
        IF to_regclass('pending_requests') IS NOT NULL THEN
          INSERT INTO user_requests (request_id, stream_id, subject, client_id, client_name, scope, binding_message,
                                     created_at, expires_at, answered_at)
          SELECT request_id, stream_id, subject, client_id, client_name, scope, binding_message, created_at, expires_at,
                 CASE WHEN status = 'pending' THEN NULL ELSE now() END
            FROM pending_requests;
          DROP TABLE pending_requests;
        END IF;
        DROP TABLE IF EXISTS pending_request_slots;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS user_requests`);
  }
}
