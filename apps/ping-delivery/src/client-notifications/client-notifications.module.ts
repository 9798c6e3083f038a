import { Module } from '@nestjs/common';
import { DeliveryModule, deliveryWorkerFor } from '@backchannel/delivery';
import { EgressModule } from '@backchannel/egress';
import { ClientNotificationConsumer } from './client-notification.consumer.js';
import { ClientNotificationDelivery } from './client-notification.delivery.js';

/** Pings and pushes to clients' notification endpoints, each request's outcome an event. */
@Module({
  imports: [DeliveryModule, EgressModule],
  controllers: [ClientNotificationConsumer],
  providers: [ClientNotificationDelivery, deliveryWorkerFor(ClientNotificationDelivery)],
})
export class ClientNotificationsModule {}
