import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Abuse limits: the open requests counted per user and per client and user (backchannel). Filled in by the abuse-limits work. */
export class PendingRequestQuotas1763700000005 implements MigrationInterface {
  name = 'PendingRequestQuotas1763700000005';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
