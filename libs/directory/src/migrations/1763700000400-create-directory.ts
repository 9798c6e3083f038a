import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The built-in directory: users and their devices. IF NOT EXISTS: split out of the first migration. */
export class CreateDirectory1763700000400 implements MigrationInterface {
  name = 'CreateDirectory1763700000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS users (
        subject text PRIMARY KEY,
        username text UNIQUE,
        email text UNIQUE,            -- stored lower-cased
        phone_number text UNIQUE,
        name text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS devices (
        device_id text PRIMARY KEY,
        subject text NOT NULL REFERENCES users (subject),
        name text NOT NULL,
        token_sha256 text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS devices, users`);
  }
}
