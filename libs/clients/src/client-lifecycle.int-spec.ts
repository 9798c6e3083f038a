import { randomUUID } from 'node:crypto';
import { ConfigModule } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { EventStoreModule, PostgresEventStore } from '@backchannel/event-store';
import { clientStreamId } from '@backchannel/events';
import { OAuthError } from '@backchannel/oauth';
import { eventually, testConfig } from '@backchannel/testing';
import { Test, type TestingModule } from '@nestjs/testing';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientRegistry } from './client-registry.service.js';
import { ClientsModule } from './clients.module.js';

// an hour of caching: a replica that did not hear of a change would go on using what it cached
const config = testConfig({ CLIENT_CACHE_SECONDS: '3600' });
// a notification travels after the commit
const NOTIFIED_WITHIN_MS = 2000;

async function replica(): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
      CryptoModule.forRoot(config),
      ClientsModule,
    ],
  }).compile();
  return moduleRef.init();
}

/**
 * Disabling, enabling and secret rotation on the real PostgreSQL, across two replicas that each
 * cache clients for an hour: the other replica hears of each change and refuses at once.
 */
describe('client lifecycle across replicas', () => {
  let admin: TestingModule;
  let other: TestingModule;

  beforeAll(async () => {
    [admin, other] = await Promise.all([replica(), replica()]);
  });

  afterAll(async () => {
    await Promise.all([admin?.close(), other?.close()]);
  });

  const context = () => ({ actor: 'admin:ops@example.com', correlationId: randomUUID(), now: new Date() });

  async function register() {
    const { client, clientSecret } = await admin
      .get(ClientRegistry)
      .register({ client_name: 'Lifecycle client', backchannel_token_delivery_mode: 'poll' }, context());
    return { clientId: client.clientId, clientSecret: clientSecret! };
  }

  /** How `replica` answers the client's credentials: 'accepted' or the OAuth error and its description. */
  function authenticate(at: TestingModule, clientId: string, secret: string, now = new Date()) {
    const authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
    return at
      .get(ClientAuthenticator)
      .authenticate({ authorization, params: new Map(), clientCertificate: null, now })
      .then(
        () => 'accepted',
        (error: unknown) => (error instanceof OAuthError ? `${error.error}: ${error.description}` : error),
      );
  }

  it('refuses a disabled client in the other replica at once, and accepts it again once enabled', async () => {
    const { clientId, clientSecret } = await register();
    // the other replica has the client in its cache
    expect(await authenticate(other, clientId, clientSecret)).toBe('accepted');
    expect(other.get(ClientRegistry).cacheTrusted).toBe(true);

    expect(await admin.get(ClientRegistry).disable(clientId, 'leaked credentials', context())).toBe(true);
    expect(await authenticate(admin, clientId, clientSecret)).toBe('invalid_client: The client is disabled.');
    await eventually(
      'the other replica refuses the client',
      async () => (await authenticate(other, clientId, clientSecret)) !== 'accepted',
      NOTIFIED_WITHIN_MS,
    );
    expect(await authenticate(other, clientId, clientSecret)).toBe('invalid_client: The client is disabled.');
    // disabling twice changes nothing
    expect(await admin.get(ClientRegistry).disable(clientId, null, context())).toBe(false);

    expect(await admin.get(ClientRegistry).enable(clientId, context())).toBe(true);
    await eventually(
      'the other replica accepts the client again',
      async () => (await authenticate(other, clientId, clientSecret)) === 'accepted',
      NOTIFIED_WITHIN_MS,
    );

    const events = (await admin.get(PostgresEventStore).readStream(clientStreamId(clientId))).events;
    expect(events.map((event) => [event.type, event.metadata.actor])).toEqual([
      ['ClientRegistered', 'admin:ops@example.com'],
      ['ClientDisabled', 'admin:ops@example.com'],
      ['ClientEnabled', 'admin:ops@example.com'],
    ]);
    expect(events[1]!.data).toMatchObject({ clientId, reason: 'leaked credentials' });
  });

  it('rotates a secret: the previous one serves in every replica until the grace period ends', async () => {
    const { clientId, clientSecret: first } = await register();
    expect(await authenticate(other, clientId, first)).toBe('accepted');

    const registered = (await admin.get(ClientRegistry).find(clientId))!;
    const second = await admin.get(ClientRegistry).rotateSecret(registered, 300, context());
    await eventually(
      'the other replica accepts the new secret',
      async () => (await authenticate(other, clientId, second)) === 'accepted',
      NOTIFIED_WITHIN_MS,
    );
    expect(await authenticate(other, clientId, first)).toBe('accepted');
    const afterGrace = new Date(Date.now() + 301_000);
    expect(await authenticate(other, clientId, first, afterGrace)).toBe(
      'invalid_client: Client authentication failed.',
    );
    expect(await authenticate(other, clientId, second, afterGrace)).toBe('accepted');

    // without a grace period the previous secret stops at once
    const third = await admin
      .get(ClientRegistry)
      .rotateSecret((await admin.get(ClientRegistry).find(clientId))!, 0, context());
    await eventually(
      'the other replica refuses the previous secret',
      async () => (await authenticate(other, clientId, second)) !== 'accepted',
      NOTIFIED_WITHIN_MS,
    );
    expect(await authenticate(other, clientId, third)).toBe('accepted');
    const rotated = (await admin.get(PostgresEventStore).readStream(clientStreamId(clientId))).events.filter(
      (event) => event.type === 'ClientSecretRotated',
    );
    expect(
      rotated.map((event) => (event.data as { previousSecretValidUntil: string | null }).previousSecretValidUntil),
    ).toEqual([expect.any(String), null]);
    // the event carries the digest the read model keeps, never the secret
    expect(JSON.stringify(rotated)).not.toContain(second);
  });
});
