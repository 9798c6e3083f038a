import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The built-in authenticator: enrolment codes and WebAuthn credentials (notifier). Filled in by the authenticator work. */
export class Authenticator1763700000004 implements MigrationInterface {
  name = 'Authenticator1763700000004';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
