import 'reflect-metadata';
import { loadConfig } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { createHttpApplication, listen, runService, serviceRootModule } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { TokenModule } from './token.module.js';

const SERVICE = 'token';

runService(SERVICE, async () => {
  const config = loadConfig();
  const messaging = MessagingModule.forKafka({
    brokers: config.kafkaBrokers,
    clientId: SERVICE,
    relay: config.relayEnabled,
  });
  const keys = CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey });
  const app = await createHttpApplication(
    serviceRootModule(config, SERVICE, [TokenModule], [messaging, keys]),
    config,
    SERVICE,
  );
  await listen(app, config, SERVICE);
});
