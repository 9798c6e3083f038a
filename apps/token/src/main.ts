import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { TokenModule } from './token.module.js';

runHttpService({
  service: 'token',
  features: [TokenModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'token', relay: config.relayEnabled }),
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
});
