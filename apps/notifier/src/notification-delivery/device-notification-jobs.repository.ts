import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventStoreTransaction } from '@backchannel/event-store';
import type { AuthRequested, RecordedEvent } from '@backchannel/events';
import { type ClaimedJob, LeasedJobs } from '@backchannel/messaging';
import { DeviceChannelsRepository } from '../channels/device-channels.repository.js';

/** A device notification a worker holds the lease of. */
export type DeviceNotificationJob = ClaimedJob<'streamId' | 'deviceId'>;

/**
 * The device_notification_jobs table: one row per request and device that a channel sends to,
 * due at once, retried until the request expires.
 */
@Injectable()
export class DeviceNotificationJobs extends LeasedJobs<'streamId' | 'deviceId'> {
  constructor(
    @Inject(DataSource) dataSource: DataSource,
    private readonly deviceChannels: DeviceChannelsRepository,
  ) {
    super(dataSource, { name: 'device_notification_jobs', key: { streamId: 'stream_id', deviceId: 'device_id' } });
  }

  /**
   * One job per device of the user with a sending channel, in the consumer's transaction. A
   * redelivered AuthRequested adds none (the key is the request and the device).
   */
  async scheduleFor(tx: EventStoreTransaction, requested: RecordedEvent<AuthRequested>, now: Date): Promise<number> {
    const devices = await this.deviceChannels.notifiedDevicesOf(requested.data.subject, tx);
    for (const { deviceId } of devices) {
      await this.schedule({ streamId: requested.streamId, deviceId }, requested.data.expiresAt, now, tx);
    }
    return devices.length;
  }
}
