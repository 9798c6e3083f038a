import { Inject, Injectable, Logger } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { LeasedJobWorker } from '@backchannel/messaging';
import { type ClaimedJob, DeliveryJobsRepository } from '../delivery-jobs/delivery-jobs.repository.js';
import { NotificationDelivery } from './notification-delivery.service.js';

/** Deliveries in progress at once per process: a slow endpoint holds one, never the others. */
export const MAX_CONCURRENT_DELIVERIES = 8;

/** Claims due delivery jobs and works them (see LeasedJobWorker); woken by decision events. */
@Injectable()
export class DeliveryWorker extends LeasedJobWorker<ClaimedJob> {
  constructor(
    jobs: DeliveryJobsRepository,
    delivery: NotificationDelivery,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    const { pollIntervalMs, leaseSeconds, timeoutMs } = config.clientNotification;
    super({
      name: DeliveryWorker.name,
      claim: (now, limit) => jobs.claimDue(now, leaseSeconds * 1_000, limit),
      work: (job) => delivery.deliver(job),
      pollIntervalMs,
      maxConcurrent: MAX_CONCURRENT_DELIVERIES,
    });
    if (leaseSeconds * 1_000 < 2 * timeoutMs) {
      // a lease that lapses while its POST is still running lets another worker send it again
      new Logger(DeliveryWorker.name).warn(
        'CLIENT_NOTIFICATION_LEASE_SECONDS is short for CLIENT_NOTIFICATION_TIMEOUT_MS: notifications may be sent twice',
      );
    }
  }
}
