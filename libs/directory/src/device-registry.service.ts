import { randomToken, sha256Hex } from '@backchannel/crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FOREIGN_KEY_VIOLATION, violatedConstraint } from './constraint-violation.js';
import type { AnswerDoor, Device } from './device.js';
import { UnknownUserError } from './directory-errors.js';
import { parseNewDevice } from './directory-input.js';

/** Users' authentication devices; a device proves itself with a bearer token stored only as a digest. */
@Injectable()
export class DeviceRegistry {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The device token is returned here once. `answerDoor`: how the device will answer (fixed for
   * its life). `sql`: a caller's transaction, when the device comes with more (its channel, its passkey).
   */
  async registerDevice(
    subject: string,
    input: unknown,
    answerDoor: AnswerDoor,
    sql: Pick<DataSource, 'query'> = this.dataSource,
  ): Promise<{ deviceId: string; deviceToken: string }> {
    const { name } = parseNewDevice(input);
    const deviceId = `dev_${randomToken(16)}`;
    const deviceToken = randomToken(32);
    try {
      await sql.query(
        `INSERT INTO devices (device_id, subject, name, token_sha256, answer_door) VALUES ($1, $2, $3, $4, $5)`,
        [deviceId, subject, name, sha256Hex(deviceToken), answerDoor],
      );
    } catch (error) {
      if (violatedConstraint(error, FOREIGN_KEY_VIOLATION) !== undefined) throw new UnknownUserError(subject);
      throw error;
    }
    return { deviceId, deviceToken };
  }

  /**
   * The device a token belongs to, or null. The lookup is by the token's digest, so its timing
   * tells nothing about stored tokens.
   */
  async authenticate(deviceToken: string): Promise<Device | null> {
    return this.findOne(`token_sha256 = $1`, sha256Hex(deviceToken));
  }

  /** The device with this id, or null. */
  async find(deviceId: string): Promise<Device | null> {
    return this.findOne(`device_id = $1`, deviceId);
  }

  private async findOne(condition: string, value: string): Promise<Device | null> {
    const rows: { device_id: string; subject: string; answer_door: AnswerDoor }[] = await this.dataSource.query(
      `SELECT device_id, subject, answer_door FROM devices WHERE ${condition}`,
      [value],
    );
    const row = rows[0];
    return row ? { deviceId: row.device_id, subject: row.subject, answerDoor: row.answer_door } : null;
  }

  /** Whether the user has any device to be asked on. */
  async hasDevice(subject: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM devices WHERE subject = $1 LIMIT 1`, [subject]);
    return rows.length > 0;
  }
}
