import 'reflect-metadata';
import path from 'node:path';
import { BackchannelModule } from '../../backchannel/src/backchannel.module.js';
import { GatewayModule } from '../../gateway/src/gateway.module.js';
import { EnrolmentService } from '../../notifier/src/authenticator/enrolment/enrolment.service.js';
import { NotifierModule } from '../../notifier/src/notifier.module.js';
import { NOTIFIER_CONSUMER_GROUP } from '../../notifier/src/pending-requests/pending-requests.projection.js';
import { PingDeliveryModule } from '../../ping-delivery/src/ping-delivery.module.js';
import { TokenModule } from '../../token/src/token.module.js';
import { loadConfig } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { createHttpApplication, listen, runService, serviceRootModule } from '@backchannel/http';
import { EventStoreTransport, MessagingModule } from '@backchannel/messaging';
import { DataSource } from 'typeorm';
import { embeddedBanner } from './embedded-banner.js';
import { seedDemo } from './demo-seed.js';
import { loadOrCreateSecrets } from './embedded-secrets.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

const SERVICE = 'embedded';

/**
 * `npm start`: every service in one process on an embedded PostgreSQL, with the event-store
 * transport instead of Kafka, so the same handlers run without a broker. Development only.
 */
runService(SERVICE, async () => {
  const dataDir = path.resolve(process.env.BACKCHANNEL_DATA_DIR ?? '.data');
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, 'postgres'),
    port: Number(process.env.EMBEDDED_POSTGRES_PORT ?? 54320),
    database: 'backchannel',
  });
  const secrets = await loadOrCreateSecrets(dataDir, process.env);
  const config = loadConfig({
    ...process.env,
    BACKCHANNEL_PROFILE: 'embedded',
    DATABASE_URL: postgres.url,
    BACKCHANNEL_ADMIN_TOKEN: secrets.adminToken,
    BACKCHANNEL_KEY_ENCRYPTION_KEY: secrets.keyEncryptionKey,
  });
  const app = await createHttpApplication(
    serviceRootModule(
      config,
      SERVICE,
      [GatewayModule, BackchannelModule, TokenModule, NotifierModule, PingDeliveryModule],
      [MessagingModule.forEmbedded(), CryptoModule.forRoot({ keyEncryptionKey: config.keyEncryptionKey })],
    ),
    config,
    SERVICE,
  );
  app.connectMicroservice(
    { strategy: new EventStoreTransport({ dataSource: app.get(DataSource), consumerGroup: NOTIFIER_CONSUMER_GROUP }) },
    { inheritAppConfig: true },
  );
  // PostgreSQL stops last, once Nest has closed the app (on SIGTERM/SIGINT, enableShutdownHooks).
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onClose', async () => {
      await postgres.stop();
    });
  await app.init();
  const demo = await seedDemo(app, dataDir);
  // a fresh one-time link each start, so the built-in authenticator can be tried at once
  const enrolment = await app.get(EnrolmentService).create(demo.subject, new Date());
  await app.startAllMicroservices();
  await listen(app, config, SERVICE);
  process.stdout.write(embeddedBanner(config.issuer, config.adminToken, demo, enrolment.url));
});
