import { Module } from '@nestjs/common';
import { DeliveryModule, deliveryWorkerFor } from '@backchannel/delivery';
import { DeviceChannelsModule } from '@backchannel/device-channels';
import { ChannelsModule } from '../channels/channels.module.js';
import { DeviceNotificationDelivery } from './device-notification.delivery.js';
import { NewRequestConsumer } from './new-request.consumer.js';

/** Each new request, sent to the user's devices through their channels, each device's outcome an event. */
@Module({
  imports: [ChannelsModule, DeliveryModule, DeviceChannelsModule],
  controllers: [NewRequestConsumer],
  providers: [DeviceNotificationDelivery, deliveryWorkerFor(DeviceNotificationDelivery)],
})
export class DeviceNotificationsModule {}
