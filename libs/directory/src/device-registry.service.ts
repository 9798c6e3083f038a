import { randomToken, sha256Hex } from '@backchannel/crypto';
import { type EventStoreTransaction, PostgresEventStore, poolSql, prepared } from '@backchannel/event-store';
import { type DeviceRegistered, type DeviceRevoked, type NewEvent, userStreamId } from '@backchannel/events';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { FOREIGN_KEY_VIOLATION, violatedConstraint } from './constraint-violation.js';
import {
  type AnswerDoor,
  type Device,
  type DeviceRegistrationRecord,
  type LifecycleContext,
  type ListedDevice,
  lifecycleMetadata,
} from './device.js';
import { DirectoryCache } from './directory-cache.js';
import { TooManyDevicesError, UnknownUserError } from './directory-errors.js';
import { parseNewDevice } from './directory-input.js';

/** Users' authentication devices; a device proves itself with a bearer token stored only as a digest. */
@Injectable()
export class DeviceRegistry {
  private readonly maxDevicesPerUser: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly cache: DirectoryCache,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.maxDevicesPerUser = config.abuseLimits.maxDevicesPerUser;
  }

  /** The lookups of every device request, prepared once per connection. */
  private readonly sql = poolSql(this.dataSource);

  /**
   * The device token is returned here once. `answerDoor`: how the device will answer (fixed for
   * its life). `record`: how it is recorded (DeviceRegistered), in the same transaction; every
   * device an administrator or an enrolment adds is. Every way a device is added comes here, so
   * here the user's devices are counted against MAX_DEVICES_PER_USER (TooManyDevicesError), under
   * a per-user lock held to the end of the transaction, so concurrent registrations never pass the
   * cap together.
   */
  async registerDevice(
    subject: string,
    input: unknown,
    answerDoor: AnswerDoor,
    record?: DeviceRegistrationRecord,
  ): Promise<{ deviceId: string; deviceToken: string }> {
    return this.cache.changing(() =>
      this.store.transaction((tx) => this.registerDeviceIn(tx, subject, input, answerDoor, record)),
    );
  }

  /** As `registerDevice`, in the caller's transaction, when the device comes with more (its channel, its passkey). */
  async registerDeviceIn(
    tx: EventStoreTransaction,
    subject: string,
    input: unknown,
    answerDoor: AnswerDoor,
    record?: DeviceRegistrationRecord,
  ): Promise<{ deviceId: string; deviceToken: string }> {
    const { name } = parseNewDevice(input);
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('devices:' || $1, 0))`, [subject]);
    const [{ count }] = (await tx.query(`SELECT count(*)::int AS count FROM devices WHERE subject = $1`, [
      subject,
    ])) as [{ count: number }];
    if (count >= this.maxDevicesPerUser) throw new TooManyDevicesError(this.maxDevicesPerUser);
    const deviceId = `dev_${randomToken(16)}`;
    const deviceToken = randomToken(32);
    try {
      await tx.query(
        `INSERT INTO devices (device_id, subject, name, token_sha256, answer_door) VALUES ($1, $2, $3, $4, $5)`,
        [deviceId, subject, name, sha256Hex(deviceToken), answerDoor],
      );
    } catch (error) {
      if (violatedConstraint(error, FOREIGN_KEY_VIOLATION) !== undefined) throw new UnknownUserError(subject);
      throw error;
    }
    if (record !== undefined) {
      const context = record.context(deviceId);
      const event: NewEvent<DeviceRegistered> = {
        type: 'DeviceRegistered',
        schemaVersion: 1,
        data: { subject, deviceId, deviceName: name, channel: record.channel, registeredAt: context.now.toISOString() },
        metadata: lifecycleMetadata(context),
      };
      await tx.appendToStream(userStreamId(subject), 'any', [event]);
    }
    return { deviceId, deviceToken };
  }

  /**
   * The device a token belongs to, or null. The lookup (and the cache's key) is by the token's
   * digest, so its timing tells nothing about stored tokens.
   */
  async authenticate(deviceToken: string): Promise<Device | null> {
    const digest = sha256Hex(deviceToken);
    return this.cache.through(`device of token ${digest}`, () => this.findOne(`token_sha256 = $1`, digest));
  }

  /** The device with this id, or null. */
  async find(deviceId: string): Promise<Device | null> {
    return this.findOne(`device_id = $1`, deviceId);
  }

  private async findOne(condition: string, value: string): Promise<Device | null> {
    const rows: { device_id: string; subject: string; answer_door: AnswerDoor }[] = await this.sql(
      // a disabled user's devices are refused, through every door
      prepared(`SELECT d.device_id, d.subject, d.answer_door FROM devices d JOIN users u USING (subject)
       WHERE d.${condition} AND u.disabled_at IS NULL`),
      [value],
    );
    const row = rows[0];
    return row ? { deviceId: row.device_id, subject: row.subject, answerDoor: row.answer_door } : null;
  }

  /** The user's devices, oldest first. */
  async list(subject: string): Promise<ListedDevice[]> {
    const rows: { device_id: string; name: string; answer_door: AnswerDoor; created_at: Date }[] =
      await this.dataSource.query(
        `SELECT device_id, name, answer_door, created_at FROM devices WHERE subject = $1 ORDER BY created_at, device_id`,
        [subject],
      );
    return rows.map((row) => ({
      deviceId: row.device_id,
      name: row.name,
      answerDoor: row.answer_door,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /**
   * Revokes one of the user's devices, or all of them: each is deleted with its channel, its
   * passkey and its push subscription (they cascade), so its token and passkey stop working at
   * once here and in the other replicas as soon as they hear of it (DirectoryCache), and a
   * DeviceRevoked event records it with the actor, in the same transaction. Answers how many were
   * revoked (0: none matched).
   */
  async revoke(
    subject: string,
    which: { deviceId: string } | 'all',
    reason: string | null,
    context: LifecycleContext,
  ): Promise<number> {
    return this.cache.changing(() =>
      this.store.transaction((tx) => this.revokeIn(tx, subject, which, reason, context)),
    );
  }

  /** As `revoke`, in the caller's transaction (deleting the user). */
  async revokeIn(
    tx: EventStoreTransaction,
    subject: string,
    which: { deviceId: string } | 'all',
    reason: string | null,
    context: LifecycleContext,
  ): Promise<number> {
    const revoked: { device_id: string; name: string }[] = await tx.query(
      `WITH revoked AS (
         DELETE FROM devices WHERE subject = $1 AND ($2::text IS NULL OR device_id = $2) RETURNING device_id, name)
       SELECT device_id, name FROM revoked ORDER BY device_id`,
      [subject, which === 'all' ? null : which.deviceId],
    );
    if (revoked.length === 0) return 0;
    const events: NewEvent<DeviceRevoked>[] = revoked.map((device) => ({
      type: 'DeviceRevoked',
      schemaVersion: 1,
      data: {
        subject,
        deviceId: device.device_id,
        deviceName: device.name,
        reason,
        revokedAt: context.now.toISOString(),
      },
      metadata: lifecycleMetadata(context),
    }));
    await tx.appendToStream(userStreamId(subject), 'any', events);
    return revoked.length;
  }

  /** Whether the user has any device to be asked on (a disabled user has none). */
  async hasDevice(subject: string): Promise<boolean> {
    return this.cache.through(`has a device ${subject}`, async () => {
      const rows: unknown[] = await this.sql(
        prepared(
          `SELECT 1 FROM devices d JOIN users u USING (subject) WHERE d.subject = $1 AND u.disabled_at IS NULL LIMIT 1`,
        ),
        [subject],
      );
      return rows.length > 0;
    });
  }
}
