import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A change of a device's channel is announced like a change of the directory (the directory's
 * `directory_changed()`, DirectoryChangeNotifications1765900004300): DirectoryCache keeps the
 * channels the notifier looks up.
 */
export class DeviceChannelChangeNotifications1765900004400 implements MigrationInterface {
  name = 'DeviceChannelChangeNotifications1765900004400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE TRIGGER device_channels_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON device_channels
      FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS device_channels_changed ON device_channels`);
  }
}
