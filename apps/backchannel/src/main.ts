import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule, kafkaConsumerOptions } from '@backchannel/messaging';
import { BackchannelModule } from './backchannel.module.js';
import { PENDING_QUOTA_CONSUMER_GROUP } from './pending-quota/pending-quota.consumer.js';

runHttpService({
  service: 'backchannel',
  features: [BackchannelModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'backchannel', relay: config.relayEnabled }),
    // seals the auth_req_id and client_notification_token of ping and push requests
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
  // decisions free the user's slots for new requests (abuse limits)
  beforeListen: async (app, config) => {
    app.connectMicroservice(
      kafkaConsumerOptions({
        brokers: config.kafkaBrokers,
        clientId: 'backchannel',
        consumerGroup: PENDING_QUOTA_CONSUMER_GROUP,
      }),
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  },
});
