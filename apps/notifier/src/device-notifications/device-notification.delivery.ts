import { Injectable } from '@nestjs/common';
import { deviceNotificationDue } from '@backchannel/auth-request';
import {
  AuthRequestDelivery,
  type AuthRequestStream,
  type DeliveryJob,
  type DeliveryOutcome,
  type DeliveryPlan,
} from '@backchannel/delivery';
import { DeviceChannelsRepository, type NotifiedDevice } from '@backchannel/device-channels';
import { PostgresEventStore } from '@backchannel/event-store';
import { DeviceChannels } from '../channels/device-channels.js';

/**
 * The notifier's part of the delivery pipeline: a job per request and device with a sending
 * channel. The decider says whether the device is still owed the request (deviceNotificationDue);
 * the device's channel sends it; the end of the device's attempts is recorded as UserNotified or
 * NotificationFailed. Retries stop at the request's expiry.
 */
@Injectable()
export class DeviceNotificationDelivery extends AuthRequestDelivery<DeliveryOutcome, NotifiedDevice | null> {
  readonly queue = 'device-notification';

  constructor(
    store: PostgresEventStore,
    private readonly deviceChannels: DeviceChannelsRepository,
    private readonly channels: DeviceChannels,
  ) {
    super(store, 'system:notifier');
  }

  /** The device's channel, as it is set now (a webhook secret may have been rotated since the job was made). */
  protected override contextOf(job: DeliveryJob): Promise<NotifiedDevice | null> {
    return this.deviceChannels.find(job.recipient);
  }

  protected async planFor(
    job: DeliveryJob,
    stream: AuthRequestStream,
    _now: Date,
    device: NotifiedDevice | null,
  ): Promise<DeliveryPlan<DeliveryOutcome>> {
    if (!device) return { action: 'finish', why: 'the device is gone, or uses the device API' };
    const recipient = { channel: device.setting.channel, deviceId: device.deviceId };
    const { state } = stream;
    if (state.status !== 'Pending' || !deviceNotificationDue(state, recipient)) {
      return { action: 'finish', why: 'the request was answered, or this device has its outcome' };
    }
    const { request } = state;
    return {
      action: 'send',
      deadline: new Date(request.expiresAt),
      delivery: {
        description: `${recipient.channel} notification of ${recipient.deviceId} for ${request.requestId}`,
        channel: recipient.channel,
        send: () => this.channels.send({ ...device, streamId: job.streamId, request }),
        // caused by the request itself: its AuthRequested
        record: (result, finishJob) =>
          this.recordOutcome(
            job,
            stream,
            stream.events[0]!,
            result.delivered
              ? { type: 'RecordUserNotified', data: recipient }
              : {
                  type: 'RecordNotificationFailed',
                  data: {
                    ...recipient,
                    reason: result.reason,
                    httpStatus: result.httpStatus,
                    attempts: result.attempts,
                    detail: result.detail,
                  },
                },
            finishJob,
          ),
      },
    };
  }
}
