import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each device's answer door: how it may answer a request (see AnswerDoor). Devices registered
 * before are given the door their registration implied: a passkey for those enrolled in the
 * built-in authenticator, the channel callback for Keycloak-compatible devices, the device token
 * otherwise. (The look at the authenticator's and the channels' tables is guarded: a database
 * created after this change has no device yet.)
 */
export class DeviceAnswerDoors1765000000000 implements MigrationInterface {
  name = 'DeviceAnswerDoors1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE devices ADD COLUMN answer_door text NOT NULL DEFAULT 'device_token'
        CHECK (answer_door IN ('device_token', 'passkey', 'channel_callback'))`);
    await queryRunner.query(`
      DO $$ BEGIN
        IF to_regclass('webauthn_credentials') IS NOT NULL THEN
          UPDATE devices SET answer_door = 'passkey'
           WHERE device_id IN (SELECT device_id FROM webauthn_credentials);
        END IF;
        IF to_regclass('device_channels') IS NOT NULL THEN
          UPDATE devices SET answer_door = 'channel_callback'
           WHERE device_id IN (SELECT device_id FROM device_channels WHERE channel = 'keycloak-http');
        END IF;
      END $$`);
    await queryRunner.query(`ALTER TABLE devices ALTER COLUMN answer_door DROP DEFAULT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE devices DROP COLUMN answer_door`);
  }
}
