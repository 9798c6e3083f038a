import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { PING_DELIVERY_CONSUMER } from './client-notifications/client-notification.consumer.js';
import { PingDeliveryModule } from './ping-delivery.module.js';

// the consumer only schedules and wakes delivery jobs; its delivery worker starts with the app
runHttpService({
  service: 'ping-delivery',
  features: [PingDeliveryModule],
  kafka: { consumer: PING_DELIVERY_CONSUMER },
});
