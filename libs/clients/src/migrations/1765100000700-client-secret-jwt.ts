import type { MigrationInterface, QueryRunner } from 'typeorm';

/** client_secret_jwt clients' secrets, sealed (a MAC is verified with the secret itself, not a digest). */
export class ClientSecretJwt1765100000700 implements MigrationInterface {
  name = 'ClientSecretJwt1765100000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE clients ADD COLUMN IF NOT EXISTS sealed_secret text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM clients WHERE sealed_secret IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE clients DROP COLUMN IF EXISTS sealed_secret`);
  }
}
