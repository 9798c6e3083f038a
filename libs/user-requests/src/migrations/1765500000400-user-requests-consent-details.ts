import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What else the device shows and the passkey signs: the request's RFC 9396 authorization details,
 * the claims asked for with the `claims` parameter, and the plain-word descriptions of its API
 * scopes and detail types as they were when it was made. Null when the request had none.
 */
export class UserRequestsConsentDetails1765500000400 implements MigrationInterface {
  name = 'UserRequestsConsentDetails1765500000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_requests
         ADD COLUMN IF NOT EXISTS authorization_details jsonb,
         ADD COLUMN IF NOT EXISTS requested_claims jsonb,
         ADD COLUMN IF NOT EXISTS wording jsonb`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_requests
         DROP COLUMN IF EXISTS authorization_details,
         DROP COLUMN IF EXISTS requested_claims,
         DROP COLUMN IF EXISTS wording`,
    );
  }
}
