import 'reflect-metadata';
import { CryptoModule } from '@backchannel/crypto';
import { runHttpService } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { ApprovalsModule } from './approvals.module.js';

runHttpService({
  service: 'approvals',
  features: [ApprovalsModule],
  infrastructure: (config) => [
    // it appends answers, so it may relay (one relay is active at a time); it consumes nothing
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'approvals', relay: config.relayEnabled }),
    // seals webhook secrets and the VAPID private key
    CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey }),
  ],
});
