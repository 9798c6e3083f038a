import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { authRequestDecider } from '@backchannel/auth-request';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { type AuthRequestEvent, type AuthRequested, type RecordedEvent, Topics } from '@backchannel/events';
import { EventHandlerRunner, ProcessedMessages } from '@backchannel/messaging';
import { DeviceNotificationJobs } from '../notification-delivery/device-notification-jobs.repository.js';
import { DeviceNotificationWorker } from '../notification-delivery/device-notification.worker.js';
import { PendingRequestsRepository } from './pending-requests.repository.js';

/** The notifier's consumer group on the auth-request topic (and its processed-message name). */
export const NOTIFIER_CONSUMER_GROUP = 'backchannel-notifier';

/** The device API's channel: the request shows up in every device's list of the user. */
export const DEVICE_API_CHANNEL = 'device-api';

/**
 * Builds the pending-requests read model from the auth-request events and tells the user's
 * devices about each new request: UserNotified for the device API, and a delivery job for each
 * device with a sending channel (web push, webhook, Keycloak-compatible), worked by the
 * DeviceNotificationWorker. Redelivery is harmless: the read-model write and the jobs are recorded
 * as processed in the same transaction, jobs are keyed by request and device, and the decider
 * accepts a second notification on the same channel with no new event.
 */
@Controller()
export class PendingRequestsProjection {
  private readonly logger = new Logger(PendingRequestsProjection.name);

  constructor(
    private readonly store: PostgresEventStore,
    private readonly processed: ProcessedMessages,
    private readonly runner: EventHandlerRunner,
    private readonly pendingRequests: PendingRequestsRepository,
    private readonly deviceNotifications: DeviceNotificationJobs,
    private readonly deviceNotificationWorker: DeviceNotificationWorker,
  ) {}

  @EventPattern(Topics.authRequests)
  async onAuthRequestEvent(@Payload() event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    await this.runner.run(event, NOTIFIER_CONSUMER_GROUP, async () => {
      let scheduled = 0;
      await this.processed.runOnce(NOTIFIER_CONSUMER_GROUP, event.eventId, async (tx) => {
        await this.pendingRequests.apply(tx, event);
        if (event.type === 'AuthRequested')
          scheduled = await this.deviceNotifications.scheduleFor(tx, event, new Date());
      });
      if (scheduled > 0) this.deviceNotificationWorker.wake();
      if (event.type === 'AuthRequested') await this.notify(event);
    });
  }

  private async notify(event: RecordedEvent<AuthRequested>): Promise<void> {
    const result = await handleCommand(this.store, event.streamId, authRequestDecider, {
      type: 'RecordUserNotified',
      data: { channel: DEVICE_API_CHANNEL, deviceId: null },
      metadata: {
        now: new Date().toISOString(),
        correlationId: event.metadata.correlationId,
        causationId: event.eventId,
        actor: 'system:notifier',
      },
    });
    // A request already decided or expired needs no notification; that is not a failure.
    if (result.outcome === 'rejected') {
      this.logger.log(`no notification for ${event.data.requestId}: ${result.rejection.code}`);
    }
  }
}
