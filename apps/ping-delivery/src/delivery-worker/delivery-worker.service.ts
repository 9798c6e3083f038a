import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { BackgroundLoop, Wakeup } from '@backchannel/messaging';
import { DeliveryJobsRepository } from '../delivery-jobs/delivery-jobs.repository.js';
import { NotificationDelivery } from './notification-delivery.service.js';

/** Deliveries in progress at once per process: a slow endpoint holds one, never the others. */
export const MAX_CONCURRENT_DELIVERIES = 8;

/**
 * Claims due delivery jobs and works them, up to MAX_CONCURRENT_DELIVERIES at a time. Looks for
 * due jobs every pollIntervalMs, at once when woken (a decision event, a delivery finished); any
 * number of workers may run, in one process or many, since each job is leased to one of them.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly wakeup = new Wakeup();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly loop = new BackgroundLoop((stopped) => this.run(stopped));

  constructor(
    private readonly jobs: DeliveryJobsRepository,
    private readonly delivery: NotificationDelivery,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    const { pollIntervalMs, leaseSeconds, timeoutMs } = config.clientNotification;
    this.pollIntervalMs = pollIntervalMs;
    this.leaseMs = leaseSeconds * 1_000;
    if (this.leaseMs < 2 * timeoutMs) {
      // a lease that lapses while its POST is still running lets another worker send it again
      this.logger.warn(
        'CLIENT_NOTIFICATION_LEASE_SECONDS is short for CLIENT_NOTIFICATION_TIMEOUT_MS: notifications may be sent twice',
      );
    }
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Before the DataSource closes (TypeORM closes it in the shutdown hooks). */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  start(): void {
    this.loop.start();
  }

  /** Claims nothing more and waits for the deliveries in hand (each bounded by the HTTP timeout). */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.inFlight);
  }

  /** Something may have become due: look now rather than at the next poll. */
  wake(): void {
    this.wakeup.notify();
  }

  private async run(stopped: AbortSignal): Promise<void> {
    while (!stopped.aborted) {
      await this.claimAndStartDeliveries();
      await this.wakeup.wait(this.pollIntervalMs, stopped);
    }
  }

  private async claimAndStartDeliveries(): Promise<void> {
    const capacity = MAX_CONCURRENT_DELIVERIES - this.inFlight.size;
    if (capacity === 0) return;
    try {
      const claimed = await this.jobs.claimDue(new Date(), this.leaseMs, capacity);
      for (const job of claimed) {
        const delivery = this.delivery.deliver(job).finally(() => {
          this.inFlight.delete(delivery);
          this.wake();
        });
        this.inFlight.add(delivery);
      }
    } catch (error) {
      // the database is unavailable: the next poll tries again; leased jobs lapse meanwhile
      this.logger.warn(`cannot claim due notifications: ${(error as Error).message}`);
    }
  }
}
