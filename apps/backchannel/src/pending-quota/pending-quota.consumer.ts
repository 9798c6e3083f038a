import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type AuthRequestEvent, type RecordedEvent, Topics } from '@backchannel/events';
import { EventHandlerRunner } from '@backchannel/messaging';
import { PendingRequestSlots } from './pending-request-slots.repository.js';

/** The backchannel's consumer group on the auth-request topic. */
export const PENDING_QUOTA_CONSUMER_GROUP = 'backchannel-pending-quota';

/**
 * Frees a request's slot once the user decided it. The delete is idempotent, so a redelivered
 * event changes nothing; the slot was written with AuthRequested, so it is always there first.
 */
@Controller()
export class PendingQuotaConsumer {
  constructor(
    private readonly runner: EventHandlerRunner,
    private readonly slots: PendingRequestSlots,
  ) {}

  @EventPattern(Topics.authRequests)
  async onAuthRequestEvent(@Payload() event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    await this.runner.run(event, PENDING_QUOTA_CONSUMER_GROUP, () => this.apply(event));
  }

  private async apply(event: RecordedEvent<AuthRequestEvent>): Promise<void> {
    switch (event.type) {
      case 'ConsentGiven':
      case 'ConsentDenied':
      case 'TokensIssued':
        return this.slots.release(event.streamId);
      case 'AuthRequested':
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
