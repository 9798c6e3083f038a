import 'reflect-metadata';
import { databaseUrlFromEnvironment } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { createDataSource, runMigrations } from '@backchannel/event-store';
import { createLogger, migrationsOf, runService } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { EMBEDDED_FEATURES } from './embedded-app.js';

/**
 * `migrate` (the image's command for a deployment's migration job, Helm's pre-install and
 * pre-upgrade hook): applies every pending migration of every service to DATABASE_URL, under the
 * migration lock, and exits; the services then start with DATABASE_MIGRATE_ON_START=false.
 */
runService('migrate', async () => {
  const databaseUrl = databaseUrlFromEnvironment(process.env);
  if (databaseUrl === null) throw new Error('DATABASE_URL must be set to a postgres:// URL');
  const migrations = migrationsOf([...EMBEDDED_FEATURES, MessagingModule.forEmbedded(), CryptoModule]);
  const dataSource = await createDataSource(databaseUrl, { applicationName: 'backchannel-migrate', migrations });
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
    createLogger('migrate').log(`${migrations.length} migrations known, every pending one applied`);
  } finally {
    await dataSource.destroy();
  }
});
