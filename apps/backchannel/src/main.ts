import 'reflect-metadata';
import { runHttpService } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { BackchannelModule } from './backchannel.module.js';

runHttpService({
  service: 'backchannel',
  features: [BackchannelModule],
  infrastructure: (config) => [
    MessagingModule.forKafka({ brokers: config.kafkaBrokers, clientId: 'backchannel', relay: config.relayEnabled }),
  ],
});
