import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { BackchannelModule } from './backchannel.module.js';

runHttpService({
  service: 'backchannel',
  features: [BackchannelModule],
  infrastructure: (config) => [
    // it appends requests and client events, so it may relay; it consumes nothing
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'backchannel', relay: config.relayEnabled }),
    // seals the auth_req_id and client_notification_token of ping and push requests
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
});
