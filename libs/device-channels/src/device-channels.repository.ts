import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DirectoryCache } from '@backchannel/directory';
import { type EventStoreTransaction, databaseErrorOf, poolSql, prepared } from '@backchannel/event-store';
import type { DeviceChannelSetting, WebPushSubscription } from './device-channel-setting.js';
import { VapidKeys } from './vapid-keys.service.js';

/** Raised when a channel is set for a device that is not registered. */
export class UnknownDeviceError extends Error {
  constructor(deviceId: string) {
    super(`no device ${deviceId}`);
    this.name = 'UnknownDeviceError';
  }
}

/** A device that is sent its user's requests, with how. */
export interface NotifiedDevice {
  deviceId: string;
  setting: DeviceChannelSetting;
}

interface DeviceChannelRow {
  device_id: string;
  channel: DeviceChannelSetting['channel'];
  settings: Record<string, unknown>;
}

/** Where a statement runs: the pool, or a caller's transaction. */
type Sql = Pick<EventStoreTransaction, 'query'>;

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The device_channels table: how each device is notified. A device without a row uses the device
 * API, which needs no sending (the device lists its requests).
 */
@Injectable()
export class DeviceChannelsRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly vapidKeys: VapidKeys,
    private readonly cache: DirectoryCache,
  ) {}

  /** The notifier's lookups, prepared once per connection. */
  private readonly sql = poolSql(this.dataSource);

  /** The authenticator's Web Push subscription replaces the device's channel. */
  async useWebPush(deviceId: string, subscription: WebPushSubscription): Promise<void> {
    const { endpoint, keys } = subscription;
    await this.use(deviceId, {
      channel: 'web-push',
      subscription: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } },
    });
  }

  /** The VAPID public key a browser subscribes with (`applicationServerKey`). */
  vapidPublicKey(): Promise<string> {
    return this.vapidKeys.publicKey();
  }

  /**
   * Sets (or replaces) the device's channel. The table's trigger announces the change to every
   * replica's cache when it commits; on the pool, this replica's forgets at once.
   */
  async use(deviceId: string, setting: DeviceChannelSetting, sql: Sql = this.dataSource): Promise<void> {
    const { channel, ...settings } = setting;
    await this.cache.changing(async () => {
      try {
        await sql.query(
          `INSERT INTO device_channels (device_id, channel, settings) VALUES ($1, $2, $3)
           ON CONFLICT (device_id) DO UPDATE SET channel = excluded.channel, settings = excluded.settings, updated_at = now()`,
          [deviceId, channel, JSON.stringify(settings)],
        );
      } catch (error) {
        if (databaseErrorOf(error)?.code === FOREIGN_KEY_VIOLATION) {
          throw new UnknownDeviceError(deviceId);
        }
        throw error;
      }
    });
  }

  /** Each user's devices that are sent requests (those with a channel other than the device API), in one statement. */
  async notifiedDevicesOfEach(subjects: readonly string[]): Promise<Map<string, NotifiedDevice[]>> {
    const rows = (await this.sql(
      prepared(`SELECT d.subject, c.device_id, c.channel, c.settings FROM device_channels c JOIN devices d USING (device_id)
        WHERE d.subject = ANY($1::text[]) ORDER BY d.subject, c.device_id`),
      [[...new Set(subjects)]],
    )) as (DeviceChannelRow & { subject: string })[];
    const bySubject = new Map<string, NotifiedDevice[]>();
    for (const row of rows) bySubject.set(row.subject, [...(bySubject.get(row.subject) ?? []), toNotifiedDevice(row)]);
    return bySubject;
  }

  /** The device's channel, or null when it uses the device API (or is gone). */
  async find(deviceId: string): Promise<NotifiedDevice | null> {
    return this.cache.through(`channel of ${deviceId}`, async () => {
      const rows = (await this.sql(
        prepared(`SELECT device_id, channel, settings FROM device_channels WHERE device_id = $1`),
        [deviceId],
      )) as DeviceChannelRow[];
      return rows[0] ? toNotifiedDevice(rows[0]) : null;
    });
  }
}

function toNotifiedDevice(row: DeviceChannelRow): NotifiedDevice {
  return { deviceId: row.device_id, setting: { channel: row.channel, ...row.settings } as DeviceChannelSetting };
}
