import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigModule } from '@backchannel/config';
import { CacheInvalidation, EventStoreModule } from '@backchannel/event-store';
import { eventually, testConfig } from '@backchannel/testing';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DeviceRegistry } from './device-registry.service.js';
import { DirectoryCache } from './directory-cache.js';
import { DirectoryModule } from './directory.module.js';
import { UserDirectory } from './user-directory.service.js';

// an hour of caching: a replica that did not hear of a change would go on answering from it
const config = testConfig({ DIRECTORY_CACHE_SECONDS: '3600' });
// a notification travels after the commit
const NOTIFIED_WITHIN_MS = 2000;

async function replica(): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
      DirectoryModule,
    ],
  }).compile();
  return moduleRef.init();
}

/**
 * The directory's answers on the hot path, cached for an hour in two replicas on the real
 * PostgreSQL: every change of users or devices, through the directory or by plain SQL, reaches the
 * other replica's cache; a change nobody announced (triggers off for one session) shows that the
 * answers really are kept.
 */
describe('the directory cache across replicas', () => {
  let admin: TestingModule;
  let other: TestingModule;
  let dataSource: DataSource;

  beforeAll(async () => {
    [admin, other] = await Promise.all([replica(), replica()]);
    dataSource = admin.get(DataSource);
  });

  afterAll(async () => {
    await Promise.all([admin?.close(), other?.close()]);
  });

  const context = () => ({ actor: 'admin:ops@example.com', correlationId: randomUUID(), now: new Date() });

  async function userWithDevice() {
    const id = randomUUID().replaceAll('-', '');
    const user = await admin.get(UserDirectory).createUser({ sub: `sub-${id}`, email: `${id}@example.com` });
    await admin.get(DeviceRegistry).registerDevice(user.subject, { name: 'Phone' }, 'device_token');
    return user;
  }

  /** What a replica answers about the user on the hot path. */
  async function answers(at: TestingModule, subject: string, email: string) {
    return {
      named: (await at.get(UserDirectory).findByLoginHint(email))?.disabledAt === undefined ? 'enabled' : 'disabled',
      enabled: await at.get(UserDirectory).isEnabled(subject),
      hasDevice: await at.get(DeviceRegistry).hasDevice(subject),
    };
  }

  /** A change no replica hears of: triggers do not fire for a session in the replica role. */
  async function unannounced(statement: string, parameters: unknown[]) {
    await dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(statement, parameters);
    });
  }

  it('disabling a user is answered at once here and as soon as it is heard in the other replica', async () => {
    const user = await userWithDevice();
    const email = user.email!;
    expect(await answers(other, user.subject, email)).toEqual({ named: 'enabled', enabled: true, hasDevice: true });
    expect(other.get(DirectoryCache).cacheTrusted).toBe(true);

    expect(await admin.get(UserDirectory).setDisabled(user.subject, true, null, context())).toBe(true);
    expect(await answers(admin, user.subject, email)).toEqual({ named: 'disabled', enabled: false, hasDevice: false });
    await eventually(
      'the other replica hears the user is disabled',
      async () => (await other.get(UserDirectory).isEnabled(user.subject)) === false,
      NOTIFIED_WITHIN_MS,
    );
    expect(await answers(other, user.subject, email)).toEqual({ named: 'disabled', enabled: false, hasDevice: false });

    expect(await admin.get(UserDirectory).setDisabled(user.subject, false, null, context())).toBe(true);
    await eventually(
      'the other replica hears the user is enabled',
      async () => await other.get(UserDirectory).isEnabled(user.subject),
      NOTIFIED_WITHIN_MS,
    );
    expect(await answers(other, user.subject, email)).toEqual({ named: 'enabled', enabled: true, hasDevice: true });
  });

  /** How often the other replica's cache has forgotten everything. */
  const forgettings = () => (other.get(DirectoryCache) as unknown as { generation: number }).generation;

  it('keeps its answers until a change is announced, and hears one made by plain SQL', async () => {
    const user = await userWithDevice();
    // the announcements of the user's creation reach the other replica after their commits
    await eventually(
      'announcements stop arriving',
      async () => {
        const before = forgettings();
        await sleep(200);
        return forgettings() === before;
      },
      NOTIFIED_WITHIN_MS,
    );
    const before = forgettings();
    expect(await other.get(UserDirectory).isEnabled(user.subject)).toBe(true);

    await unannounced(`UPDATE users SET disabled_at = now() WHERE subject = $1`, [user.subject]);
    // nothing announced it: the other replica still answers from what it kept
    expect(await other.get(UserDirectory).isEnabled(user.subject)).toBe(true);
    expect(forgettings()).toBe(before);

    // an operator's statement, outside the directory, is announced by the table's trigger
    await dataSource.query(`DELETE FROM devices WHERE subject = $1`, [user.subject]);
    await eventually(
      'the other replica hears the statement of an operator',
      async () => (await other.get(UserDirectory).isEnabled(user.subject)) === false,
      NOTIFIED_WITHIN_MS,
    );
    expect(await other.get(DeviceRegistry).hasDevice(user.subject)).toBe(false);
  });

  it('keeps nothing while its session is down, and listens again', async () => {
    const user = await userWithDevice();
    expect(await other.get(UserDirectory).isEnabled(user.subject)).toBe(true);
    const session = (other.get(CacheInvalidation) as unknown as { session: { processID: number } }).session;
    await dataSource.query(`SELECT pg_terminate_backend($1)`, [session.processID]);
    await eventually(
      'the session is known to be down',
      () => !other.get(DirectoryCache).cacheTrusted,
      NOTIFIED_WITHIN_MS,
    );

    await unannounced(`UPDATE users SET disabled_at = now() WHERE subject = $1`, [user.subject]);
    // unheard, but nothing was kept while the session was down
    expect(await other.get(UserDirectory).isEnabled(user.subject)).toBe(false);
    await eventually('the session listens again', () => other.get(DirectoryCache).cacheTrusted, NOTIFIED_WITHIN_MS);
  });
});
