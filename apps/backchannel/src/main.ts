import 'reflect-metadata';
import { loadConfig } from '@backchannel/config';
import { createHttpApplication, listen, runService, serviceRootModule } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { BackchannelModule } from './backchannel.module.js';

const SERVICE = 'backchannel';

runService(SERVICE, async () => {
  const config = loadConfig();
  const messaging = MessagingModule.forKafka({
    brokers: config.kafkaBrokers,
    clientId: SERVICE,
    relay: config.relayEnabled,
  });
  const app = await createHttpApplication(
    serviceRootModule(config, SERVICE, [BackchannelModule], [messaging]),
    config,
    SERVICE,
  );
  await listen(app, config, SERVICE);
});
