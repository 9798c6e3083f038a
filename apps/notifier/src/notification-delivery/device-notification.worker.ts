import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { LeasedJobWorker } from '@backchannel/messaging';
import { type DeviceNotificationJob, DeviceNotificationJobs } from './device-notification-jobs.repository.js';
import { DeviceNotificationDelivery } from './device-notification.service.js';

/** Device notifications in progress at once per process: a slow channel holds one, never the others. */
export const MAX_CONCURRENT_DEVICE_NOTIFICATIONS = 8;

/** Claims due device notifications and sends them (see LeasedJobWorker); woken by AuthRequested. */
@Injectable()
export class DeviceNotificationWorker extends LeasedJobWorker<DeviceNotificationJob> {
  constructor(
    jobs: DeviceNotificationJobs,
    delivery: DeviceNotificationDelivery,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    const { pollIntervalMs, leaseSeconds } = config.clientNotification;
    super({
      name: DeviceNotificationWorker.name,
      claim: (now, limit) => jobs.claimDue(now, leaseSeconds * 1_000, limit),
      work: (job) => delivery.deliver(job),
      pollIntervalMs,
      maxConcurrent: MAX_CONCURRENT_DEVICE_NOTIFICATIONS,
    });
  }
}
