import { Module } from '@nestjs/common';
import { EgressHttpClient, EgressModule } from '@backchannel/egress';
import { DeliveryJobsConsumer } from './delivery-jobs/delivery-jobs.consumer.js';
import { DeliveryJobsRepository } from './delivery-jobs/delivery-jobs.repository.js';
import { DeliveryWorker } from './delivery-worker/delivery-worker.service.js';
import { NOTIFICATION_SENDER, NotificationDelivery } from './delivery-worker/notification-delivery.service.js';

/**
 * ping-delivery's features: the consumer that keeps a delivery job per ping or push request, and
 * the worker that sends what each job owes the client through the egress client. Needs the
 * configuration, the event store, messaging (EventHandlerRunner) and CryptoModule (PayloadSealer).
 */
@Module({
  imports: [EgressModule.forRoot()],
  controllers: [DeliveryJobsConsumer],
  providers: [
    DeliveryJobsRepository,
    NotificationDelivery,
    DeliveryWorker,
    { provide: NOTIFICATION_SENDER, useExisting: EgressHttpClient },
  ],
})
export class PingDeliveryModule {}
