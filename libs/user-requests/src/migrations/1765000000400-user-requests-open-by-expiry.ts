import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The open-request queries (the device list, the limits counted at /bc-authorize) ask for a user's
 * unanswered requests that have not expired. Requests that expired unanswered stay unanswered for
 * ever, so under the first index (subject, created_at) every one a user ever let lapse was read on
 * each call: the cost grew with the user's history. Keyed by expiry instead, the scan starts at
 * `now` and reads the open requests only.
 */
export class UserRequestsOpenByExpiry1765000000400 implements MigrationInterface {
  name = 'UserRequestsOpenByExpiry1765000000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS user_requests_open_by_expiry ON user_requests (subject, expires_at)
        WHERE answered_at IS NULL`);
    await queryRunner.query(`DROP INDEX IF EXISTS user_requests_open`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS user_requests_open ON user_requests (subject, created_at DESC)
        WHERE answered_at IS NULL`);
    await queryRunner.query(`DROP INDEX IF EXISTS user_requests_open_by_expiry`);
  }
}
