import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule, kafkaConsumerOptions } from '@backchannel/messaging';
import { NOTIFIER_CONSUMER } from './device-notifications/new-request.consumer.js';
import { NotifierModule } from './notifier.module.js';

runHttpService({
  service: 'notifier',
  features: [NotifierModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'notifier', relay: config.relayEnabled }),
    // opens webhook secrets and the VAPID private key, signs the Keycloak-compatible channel's tokens
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
  // consumes new requests beside its health endpoints; its delivery worker starts with the app
  beforeListen: async (app, config) => {
    app.connectMicroservice(
      kafkaConsumerOptions({ brokers: config.kafkaBrokers, clientId: 'notifier', consumer: NOTIFIER_CONSUMER }),
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  },
});
