import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CryptoModule } from '@backchannel/crypto';
import { EVENT_STORE_MIGRATIONS } from '@backchannel/event-store';
import { migrationsOf } from '@backchannel/http';
import { MessagingModule } from '@backchannel/messaging';
import { migrationFiles } from '../../../test/setup/migration-files.js';
import { EMBEDDED_FEATURES } from './embedded-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Each module that owns tables declares their migrations, and a service runs those of the modules
 * it is made of. The embedded app is made of every module: it must reach every migration there is,
 * or a table would exist in no service's schema.
 */
describe('the tables of the embedded app', () => {
  it('are created by every migration file, each declared by the module that owns it', async () => {
    const declared = migrationsOf([...EMBEDDED_FEATURES, MessagingModule.forEmbedded(), CryptoModule]);
    const onDisk = await Promise.all(migrationFiles(root).map(async (file) => Object.values(await import(file))));
    const names = (migrations: readonly unknown[]) =>
      migrations.map((migration) => (migration as { name: string }).name).sort();
    expect(names([...EVENT_STORE_MIGRATIONS, ...declared])).toEqual(names(onDisk.flat()));
  });
});
