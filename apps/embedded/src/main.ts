import 'reflect-metadata';
import path from 'node:path';
import { EnrolmentService } from '../../approvals/src/authenticator/enrolment/enrolment.service.js';
import { loadConfig, requirementsOf, type ServiceName } from '@backchannel/config';
import { listen, runService } from '@backchannel/http';
import { createEmbeddedApplication } from './embedded-app.js';
import { embeddedBanner } from './embedded-banner.js';
import { seedDemo } from './demo-seed.js';
import { loadOrCreateSecrets } from './embedded-secrets.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

const SERVICE = 'embedded' satisfies ServiceName;

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
  const config = loadConfig(
    {
      ...process.env,
      BACKCHANNEL_PROFILE: 'embedded',
      DATABASE_URL: postgres.url,
      BACKCHANNEL_ADMIN_TOKEN: secrets.adminToken,
      BACKCHANNEL_KEY_ENCRYPTION_KEY: undefined, // in the ring now
      BACKCHANNEL_KEY_ENCRYPTION_KEYS: secrets.keyEncryptionKeys,
    },
    requirementsOf(SERVICE),
  );
  const app = await createEmbeddedApplication(config, SERVICE);
  // PostgreSQL stops last, once Nest has closed the app (on SIGTERM/SIGINT, enableShutdownHooks).
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onClose', async () => {
      await postgres.stop();
    });
  await app.init();
  const demo = await seedDemo(app, dataDir, config.fapiCiba);
  // a fresh one-time link each start, so the built-in authenticator can be tried at once
  const enrolment = await app
    .get(EnrolmentService)
    .create(demo.subject, { actor: 'system:embedded', correlationId: 'embedded-demo-enrolment', now: new Date() });
  await app.startAllMicroservices();
  await listen(app, config, SERVICE);
  process.stdout.write(embeddedBanner(config.issuer, secrets.adminToken, demo, enrolment.url));
});
