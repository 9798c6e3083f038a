import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type AuthRequestEvent, type RecordedEvent, Topics } from '@backchannel/events';
import { EventHandlerRunner } from '@backchannel/messaging';
import { DeliveryWorker } from '../delivery-worker/delivery-worker.service.js';
import { DeliveryJobsRepository } from './delivery-jobs.repository.js';

/** ping-delivery's consumer group on the auth-request topic. */
export const PING_DELIVERY_CONSUMER_GROUP = 'backchannel-ping-delivery';

/**
 * Keeps a delivery job per ping or push request: created by AuthRequested (due at expiry, when a
 * push client is owed expired_token), made due at once by each event that may owe the client a
 * notification. Both statements are idempotent, so a redelivered event changes nothing; what is
 * sent is decided later from the stream, never from the event.
 */
@Controller()
export class DeliveryJobsConsumer {
  constructor(
    private readonly runner: EventHandlerRunner,
    private readonly jobs: DeliveryJobsRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  @EventPattern(Topics.authRequests)
  async onAuthRequestEvent(@Payload() event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    await this.runner.run(event, PING_DELIVERY_CONSUMER_GROUP, () => this.apply(event));
  }

  private async apply(event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    switch (event.type) {
      case 'AuthRequested':
        if (event.data.clientNotification) {
          // nothing is owed before a decision or the expiry
          await this.jobs.schedule({ streamId: event.streamId }, event.data.expiresAt, event.data.expiresAt);
        }
        return;
      case 'ConsentGiven':
      case 'ConsentDenied':
      case 'TokensIssued':
        if (await this.jobs.makeDue({ streamId: event.streamId }, new Date())) this.worker.wake();
        return;
      case 'UserNotified':
      case 'NotificationFailed':
      case 'ClientNotified':
      case 'TokensPushed':
      case 'ClientNotificationFailed':
        return;
      default: {
        const unexpected: never = event;
        throw new Error(`unexpected event ${(unexpected as RecordedEvent).type}`);
      }
    }
  }
}
