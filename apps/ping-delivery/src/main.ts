import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule, kafkaConsumerOptions } from '@backchannel/messaging';
import { PING_DELIVERY_CONSUMER } from './client-notifications/client-notification.consumer.js';
import { PingDeliveryModule } from './ping-delivery.module.js';

runHttpService({
  service: 'ping-delivery',
  features: [PingDeliveryModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'ping-delivery', relay: config.relayEnabled }),
    // opens the sealed notification secrets and pushed tokens
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
  // the consumer only schedules jobs; the worker (started with the app) delivers them
  beforeListen: async (app, config) => {
    app.connectMicroservice(
      kafkaConsumerOptions({
        brokers: config.kafkaBrokers,
        clientId: 'ping-delivery',
        consumer: PING_DELIVERY_CONSUMER,
      }),
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  },
});
