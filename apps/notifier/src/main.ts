import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule, kafkaConsumerOptions } from '@backchannel/messaging';
import { NotifierModule } from './notifier.module.js';
import { NOTIFIER_CONSUMER_GROUP } from './pending-requests/pending-requests.projection.js';

runHttpService({
  service: 'notifier',
  features: [NotifierModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'notifier', relay: config.relayEnabled }),
    // seals channel secrets (VAPID private key, webhook secrets)
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
  // the notifier consumes the auth-request topic in the same process as its device API
  beforeListen: async (app, config) => {
    app.connectMicroservice(
      kafkaConsumerOptions({
        brokers: config.kafkaBrokers,
        clientId: 'notifier',
        consumerGroup: NOTIFIER_CONSUMER_GROUP,
      }),
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  },
});
