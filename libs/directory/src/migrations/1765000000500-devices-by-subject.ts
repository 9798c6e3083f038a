import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user's devices are looked up by subject on every /bc-authorize (does the user have a device?)
 * and by the notifier (which devices to reach); without an index each was a scan of all devices.
 */
export class DevicesBySubject1765000000500 implements MigrationInterface {
  name = 'DevicesBySubject1765000000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS devices_by_subject ON devices (subject)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS devices_by_subject`);
  }
}
