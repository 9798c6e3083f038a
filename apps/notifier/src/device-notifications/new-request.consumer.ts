import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DeliveryWorker } from '@backchannel/delivery';
import { DeviceChannelsRepository } from '@backchannel/device-channels';
import { type AuthRequested, type RecordedEvent, Topics } from '@backchannel/events';
import { ConsumerHandler, type EventBatch, EventHandlerRunner, eventConsumer } from '@backchannel/messaging';

/** The notifier's consumer group: new requests only. */
export const NOTIFIER_CONSUMER = eventConsumer('backchannel-notifier', Topics.authRequests, ['AuthRequested']);

/**
 * A new request: one delivery job for each of the user's devices that a channel sends to (a
 * device-API device is sent nothing: it lists its requests), due at once, retried until the
 * request expires. A redelivered event schedules nothing twice (a job per request and device).
 */
@Controller()
export class NewRequestConsumer {
  constructor(
    private readonly runner: EventHandlerRunner,
    private readonly deviceChannels: DeviceChannelsRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  @ConsumerHandler(NOTIFIER_CONSUMER)
  async onAuthRequested(@Payload() batch: EventBatch<RecordedEvent<AuthRequested>>): Promise<void> {
    await this.runner.runTogether(batch, NOTIFIER_CONSUMER.group, (events) => this.scheduleNotifications(events));
  }

  /** One statement finds the devices of the batch's users, one schedules their jobs and leases those the worker starts. */
  private async scheduleNotifications(events: RecordedEvent<AuthRequested>[]): Promise<void> {
    const devices = await this.deviceChannels.notifiedDevicesOfEach(events.map((event) => event.data.subject));
    const now = new Date();
    const jobs = events.flatMap((event) =>
      (devices.get(event.data.subject) ?? []).map(({ deviceId }) => ({
        queue: 'device-notification' as const,
        streamId: event.streamId,
        recipient: deviceId,
        expiresAt: event.data.expiresAt,
        dueAt: now,
      })),
    );
    await this.worker.schedule(jobs);
  }
}
