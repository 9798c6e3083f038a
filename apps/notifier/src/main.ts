import 'reflect-metadata';
import { loadConfig } from '@backchannel/config';
import { createHttpApplication, listen, runService, serviceRootModule } from '@backchannel/http';
import { MessagingModule, kafkaConsumerOptions } from '@backchannel/messaging';
import { NotifierModule } from './notifier.module.js';
import { NOTIFIER_CONSUMER_GROUP } from './pending-requests/pending-requests.projection.js';

const SERVICE = 'notifier';

runService(SERVICE, async () => {
  const config = loadConfig();
  const messaging = MessagingModule.forKafka({
    brokers: config.kafkaBrokers,
    clientId: SERVICE,
    relay: config.relayEnabled,
  });
  const app = await createHttpApplication(
    serviceRootModule(config, SERVICE, [NotifierModule], [messaging]),
    config,
    SERVICE,
  );
  app.connectMicroservice(
    kafkaConsumerOptions({ brokers: config.kafkaBrokers, clientId: SERVICE, consumerGroup: NOTIFIER_CONSUMER_GROUP }),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await listen(app, config, SERVICE);
});
