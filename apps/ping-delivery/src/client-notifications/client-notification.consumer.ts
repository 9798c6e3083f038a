import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CLIENT_NOTIFICATION_TRIGGERS } from '@backchannel/auth-request';
import { DeliveryJobs, DeliveryWorker } from '@backchannel/delivery';
import {
  type AuthRequested,
  type ConsentDenied,
  type ConsentGiven,
  type RecordedEvent,
  type TokensIssued,
  Topics,
} from '@backchannel/events';
import { ConsumerHandler, type EventBatch, EventHandlerRunner, eventConsumer } from '@backchannel/messaging';

/** ping-delivery's consumer group: new requests, and the events after which a client may be owed a notification. */
export const PING_DELIVERY_CONSUMER = eventConsumer('backchannel-ping-delivery', Topics.authRequests, [
  'AuthRequested',
  'ConsentGiven',
  'ConsentDenied',
  'TokensIssued',
]);

type ConsumedEvent = RecordedEvent<AuthRequested | ConsentGiven | ConsentDenied | TokensIssued>;

/**
 * Keeps a delivery job per ping or push request: created by AuthRequested (due at expiry, when a
 * push client is owed expired_token) with the event types that make it due at once for its mode
 * (CLIENT_NOTIFICATION_TRIGGERS), and woken by those, a whole batch in two statements. Both are
 * idempotent, so a redelivered event changes nothing; what is sent is decided later from the stream, never from the event.
 */
@Controller()
export class ClientNotificationConsumer {
  constructor(
    private readonly runner: EventHandlerRunner,
    private readonly jobs: DeliveryJobs,
    private readonly worker: DeliveryWorker,
  ) {}

  @ConsumerHandler(PING_DELIVERY_CONSUMER)
  async onAuthRequestEvents(@Payload() batch: EventBatch<ConsumedEvent>): Promise<void> {
    await this.runner.runTogether(batch, PING_DELIVERY_CONSUMER.group, (events) => this.apply(events));
  }

  /** One statement for the batch's new jobs, then one for its wake-ups (a request comes before its answers). */
  private async apply(events: ConsumedEvent[]): Promise<void> {
    const requested = events.filter((event): event is RecordedEvent<AuthRequested> => event.type === 'AuthRequested');
    await this.jobs.schedule(
      // a poll client is owed nothing: its requests have no notification endpoint
      requested
        .filter((event) => event.data.clientNotification)
        .map((event) => ({
          queue: 'client-notification' as const,
          streamId: event.streamId,
          recipient: event.data.clientId,
          expiresAt: event.data.expiresAt,
          // nothing is owed before an answer or the expiry
          dueAt: event.data.expiresAt,
          wakeOn: CLIENT_NOTIFICATION_TRIGGERS[event.data.deliveryMode],
        })),
    );
    const answers = events.filter((event) => event.type !== 'AuthRequested');
    const woken = await this.jobs.wake(
      'client-notification',
      answers.map((event) => ({ streamId: event.streamId, eventType: event.type })),
      new Date(),
    );
    if (woken > 0) this.worker.wake();
  }
}
