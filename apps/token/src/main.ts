import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule, kafkaConsumerOptions } from '@backchannel/messaging';
import { TOKEN_CONSUMER } from './push-issuance/push-issuance.consumer.js';
import { TokenModule } from './token.module.js';

runHttpService({
  service: 'token',
  features: [TokenModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'token', relay: config.relayEnabled }),
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
  // the token service consumes the auth-request topic (push-mode issuance) in the same process as /token
  beforeListen: async (app, config) => {
    app.connectMicroservice(
      kafkaConsumerOptions({ brokers: config.kafkaBrokers, clientId: 'token', consumer: TOKEN_CONSUMER }),
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
  },
});
