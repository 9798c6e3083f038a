/** Brings DATABASE_URL's schema to what the embedded app migrates (every table of every service). */
export async function migrateSchema(databaseUrl) {
  const { createDataSource, runMigrations } = await import('../../../dist/libs/event-store/src/index.js');
  const { migrationsOf } = await import('../../../dist/libs/http/src/index.js');
  const { MessagingModule } = await import('../../../dist/libs/messaging/src/index.js');
  const { CryptoModule } = await import('../../../dist/libs/crypto/src/index.js');
  const { EMBEDDED_FEATURES } = await import('../../../dist/apps/embedded/src/embedded-app.js');
  const migrations = migrationsOf([
    ...EMBEDDED_FEATURES,
    MessagingModule.forEmbedded(),
    CryptoModule.forRoot({ keyEncryptionKey: new Uint8Array(32) }),
  ]);
  const dataSource = await createDataSource(databaseUrl, { migrations }).initialize();
  await runMigrations(dataSource);
  await dataSource.destroy();
}
