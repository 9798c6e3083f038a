import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DeliveryJobs, DeliveryWorker } from '@backchannel/delivery';
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
    private readonly jobs: DeliveryJobs,
    private readonly worker: DeliveryWorker,
  ) {}

  @ConsumerHandler(NOTIFIER_CONSUMER)
  async onAuthRequested(@Payload() batch: EventBatch<RecordedEvent<AuthRequested>>): Promise<void> {
    await this.runner.runLanes(batch, NOTIFIER_CONSUMER.group, (event) => this.scheduleNotifications(event));
  }

  private async scheduleNotifications(event: RecordedEvent<AuthRequested>): Promise<void> {
    const devices = await this.deviceChannels.notifiedDevicesOf(event.data.subject);
    const now = new Date();
    for (const { deviceId } of devices) {
      await this.jobs.schedule({
        queue: 'device-notification',
        streamId: event.streamId,
        recipient: deviceId,
        expiresAt: event.data.expiresAt,
        dueAt: now,
      });
    }
    if (devices.length > 0) this.worker.wake();
  }
}
