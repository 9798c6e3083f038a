import { randomToken, sha256Hex } from '@backchannel/crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FOREIGN_KEY_VIOLATION, violatedConstraint } from './constraint-violation.js';
import { UnknownUserError } from './directory-errors.js';
import { parseNewDevice } from './directory-input.js';

/** Users' authentication devices; a device proves itself with a bearer token stored only as a digest. */
@Injectable()
export class DeviceRegistry {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The device token is returned here once. `sql`: a caller's transaction, when the device comes
   * with more (its notification channel).
   */
  async registerDevice(
    subject: string,
    input: unknown,
    sql: Pick<DataSource, 'query'> = this.dataSource,
  ): Promise<{ deviceId: string; deviceToken: string }> {
    const { name } = parseNewDevice(input);
    const deviceId = `dev_${randomToken(16)}`;
    const deviceToken = randomToken(32);
    try {
      await sql.query(`INSERT INTO devices (device_id, subject, name, token_sha256) VALUES ($1, $2, $3, $4)`, [
        deviceId,
        subject,
        name,
        sha256Hex(deviceToken),
      ]);
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
  async authenticate(deviceToken: string): Promise<{ deviceId: string; subject: string } | null> {
    const rows: { device_id: string; subject: string }[] = await this.dataSource.query(
      `SELECT device_id, subject FROM devices WHERE token_sha256 = $1`,
      [sha256Hex(deviceToken)],
    );
    return rows[0] ? { deviceId: rows[0].device_id, subject: rows[0].subject } : null;
  }

  /** Whether the user has any device to be asked on. */
  async hasDevice(subject: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM devices WHERE subject = $1 LIMIT 1`, [subject]);
    return rows.length > 0;
  }
}
