import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a family grants beside its scope, carried on to every refreshed access token: the RFC 8707
 * resources of the consent (a refresh may narrow the audience to some of them), its RFC 9396
 * authorization details, and the claims asked for at userinfo with the `claims` parameter.
 */
export class RefreshTokenGrantDetails1765500000500 implements MigrationInterface {
  name = 'RefreshTokenGrantDetails1765500000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE refresh_token_families
         ADD COLUMN IF NOT EXISTS resources text[] NOT NULL DEFAULT '{}',
         ADD COLUMN IF NOT EXISTS authorization_details jsonb,
         ADD COLUMN IF NOT EXISTS userinfo_claims text[] NOT NULL DEFAULT '{}'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE refresh_token_families DROP COLUMN IF EXISTS resources, DROP COLUMN IF EXISTS authorization_details,
         DROP COLUMN IF EXISTS userinfo_claims`,
    );
  }
}
