import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Device notification channels and their delivery jobs (notifier). Filled in by the channels work. */
export class DeviceChannels1763700000003 implements MigrationInterface {
  name = 'DeviceChannels1763700000003';

  async up(_queryRunner: QueryRunner): Promise<void> {}

  async down(_queryRunner: QueryRunner): Promise<void> {}
}
