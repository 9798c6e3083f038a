import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens (opaque, kept as SHA-256 digests) and revoked access tokens. Operational state
 * rather than events: rotation and reuse detection need an atomic compare-and-set on one row, and
 * the auth-request stream's TokensIssued names the family for the audit trail.
 */
export class CreateRefreshTokens1765300000100 implements MigrationInterface {
  name = 'CreateRefreshTokens1765300000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE refresh_token_families (
        family_id uuid PRIMARY KEY,
        client_id text NOT NULL,
        subject text NOT NULL,
        -- the request whose consent the family carries on
        stream_id text NOT NULL,
        scope text[] NOT NULL,
        -- cnf of every access token of the family: the client's certificate or DPoP key
        confirmation jsonb,
        -- auth_time, acr, amr of the consent, repeated in every access token
        authentication jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await queryRunner.query(`CREATE INDEX refresh_token_families_client ON refresh_token_families (client_id)`);
    await queryRunner.query(`CREATE INDEX refresh_token_families_subject ON refresh_token_families (subject)`);
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        token_sha256 text PRIMARY KEY,
        family_id uuid NOT NULL REFERENCES refresh_token_families ON DELETE CASCADE,
        -- the access token issued with it, revoked with the family
        access_token_id uuid NOT NULL,
        access_token_expires_at timestamptz NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        -- set once, when it is exchanged for the next: a second use is a replay
        used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);
    await queryRunner.query(`
      CREATE TABLE revoked_access_tokens (
        jti uuid PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS revoked_access_tokens`);
    await queryRunner.query(`DROP TABLE IF EXISTS refresh_tokens`);
    await queryRunner.query(`DROP TABLE IF EXISTS refresh_token_families`);
  }
}
