import { randomUUID } from 'node:crypto';
import { ConfigModule } from '@backchannel/config';
import { sha256Hex } from '@backchannel/crypto';
import { EventStoreModule, PostgresEventStore } from '@backchannel/event-store';
import { clientStreamId } from '@backchannel/events';
import { InvalidClientMetadata } from '@backchannel/oauth';
import { testConfig } from '@backchannel/testing';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientRegistry } from './client-registry.service.js';
import { ClientsModule } from './clients.module.js';

describe('ClientRegistry and ClientAuthenticator on PostgreSQL', () => {
  let moduleRef: TestingModule;
  let registry: ClientRegistry;
  let authenticator: ClientAuthenticator;
  let dataSource: DataSource;
  const now = new Date('2026-11-21T10:00:00.000Z');
  // The test profile: loopback notification endpoints are allowed.
  const config = testConfig();

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
        ClientsModule.forRoot(),
      ],
    }).compile();
    registry = moduleRef.get(ClientRegistry);
    authenticator = moduleRef.get(ClientAuthenticator);
    dataSource = moduleRef.get(DataSource);
  });

  afterAll(() => moduleRef.close());

  function register(metadata: Record<string, unknown> = {}) {
    return registry.register(
      { client_name: 'Call centre', backchannel_token_delivery_mode: 'poll', ...metadata },
      { actor: 'admin', correlationId: randomUUID(), now },
    );
  }

  function basic(clientId: string, secret: string): string {
    return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }

  it('registers a client with a 128-bit id and a 256-bit secret, and finds it from the read model', async () => {
    const { client, clientSecret } = await register({ scope: 'openid accounts' });

    expect(Buffer.from(client.clientId, 'base64url')).toHaveLength(16);
    expect(Buffer.from(clientSecret, 'base64url')).toHaveLength(32);
    expect(client).toEqual({
      clientId: client.clientId,
      secretSha256: sha256Hex(clientSecret),
      metadata: expect.objectContaining({ client_name: 'Call centre', scope: 'openid accounts' }),
      registeredAt: now.toISOString(),
    });
    // A registry without the cache reads the `clients` row.
    const coldRegistry = new ClientRegistry(moduleRef.get(PostgresEventStore), dataSource, config);
    await expect(coldRegistry.find(client.clientId)).resolves.toEqual(client);
    await expect(coldRegistry.find(`${client.clientId}x`)).resolves.toBeNull();
  });

  it('appends ClientRegistered with the secret only as its digest', async () => {
    const { client, clientSecret } = await register();
    const correlationId = randomUUID();
    const { client: other } = await registry.register(
      { client_name: 'Kiosk', backchannel_token_delivery_mode: 'poll' },
      { actor: 'admin', correlationId, now },
    );

    const { events } = await moduleRef.get(PostgresEventStore).readStream(clientStreamId(client.clientId));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ClientRegistered',
      schemaVersion: 1,
      streamVersion: 1,
      data: { clientId: client.clientId, secretSha256: sha256Hex(clientSecret), metadata: client.metadata },
    });
    expect(JSON.stringify(events[0])).not.toContain(clientSecret);
    const [otherEvent] = (await moduleRef.get(PostgresEventStore).readStream(clientStreamId(other.clientId))).events;
    expect(otherEvent?.metadata).toEqual({ actor: 'admin', correlationId, occurredAt: now.toISOString() });
  });

  it('writes the clients row and the event in one transaction', async () => {
    const { client } = await register();

    const [row] = await dataSource.query<{ row_xid: string; event_xid: string }[]>(
      `SELECT c.xmin::text AS row_xid, (e.transaction_id::text::numeric % 4294967296)::text AS event_xid
       FROM clients c JOIN events e ON e.stream_id = $2
       WHERE c.client_id = $1`,
      [client.clientId, clientStreamId(client.clientId)],
    );
    expect(row).toBeDefined();
    expect(row!.row_xid).toBe(row!.event_xid);
  });

  it('stores nothing for invalid metadata', async () => {
    const clientName = `rejected ${randomUUID()}`;

    await expect(register({ client_name: clientName, backchannel_token_delivery_mode: 'push' })).rejects.toBeInstanceOf(
      InvalidClientMetadata,
    );

    const stored = await dataSource.query(
      `SELECT 1 FROM clients WHERE metadata->>'client_name' = $1
       UNION ALL SELECT 1 FROM events WHERE data->'metadata'->>'client_name' = $1`,
      [clientName],
    );
    expect(stored).toHaveLength(0);
  });

  describe('notification endpoints', () => {
    it('registers a ping client whose endpoint resolves into an allowed network', async () => {
      const { client } = await register({
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: 'https://localhost:8443/cb',
      });

      await expect(registry.find(client.clientId)).resolves.toMatchObject({
        metadata: {
          backchannel_token_delivery_mode: 'ping',
          backchannel_client_notification_endpoint: 'https://localhost:8443/cb',
        },
      });
    });

    it('refuses, storing nothing, an endpoint that resolves to loopback when no network is allowed', async () => {
      const strict = new ClientRegistry(
        moduleRef.get(PostgresEventStore),
        dataSource,
        testConfig({ CLIENT_NOTIFICATION_ALLOWED_NETWORKS: '' }),
      );
      const clientName = `refused ${randomUUID()}`;

      await expect(
        strict.register(
          {
            client_name: clientName,
            backchannel_token_delivery_mode: 'push',
            backchannel_client_notification_endpoint: 'https://localhost:8443/cb',
          },
          { actor: 'admin', correlationId: randomUUID(), now },
        ),
      ).rejects.toMatchObject({
        error: 'invalid_client_metadata',
        description: 'backchannel_client_notification_endpoint resolves to a loopback address',
      });
      const stored = await dataSource.query(`SELECT 1 FROM clients WHERE metadata->>'client_name' = $1`, [clientName]);
      expect(stored).toHaveLength(0);
    });
  });

  describe('authentication', () => {
    it('authenticates client_secret_basic with the registered secret', async () => {
      const { client, clientSecret } = await register();

      await expect(authenticator.authenticate(basic(client.clientId, clientSecret), new Map())).resolves.toEqual(
        client,
      );
    });

    it('authenticates client_secret_post for a client registered with it', async () => {
      const { client, clientSecret } = await register({ token_endpoint_auth_method: 'client_secret_post' });

      const form = new Map([
        ['client_id', client.clientId],
        ['client_secret', clientSecret],
      ]);
      await expect(authenticator.authenticate(undefined, form)).resolves.toEqual(client);
    });

    it('rejects a wrong secret, an unknown client and the unregistered method alike', async () => {
      const { client, clientSecret } = await register();
      const postForm = new Map([
        ['client_id', client.clientId],
        ['client_secret', clientSecret],
      ]);

      for (const [authorization, form] of [
        [basic(client.clientId, `${clientSecret}x`), new Map()],
        [basic(`${client.clientId}x`, clientSecret), new Map()],
        [undefined, postForm],
      ] as const) {
        await expect(authenticator.authenticate(authorization, form)).rejects.toEqual(
          expect.objectContaining({ error: 'invalid_client', description: 'Client authentication failed.' }),
        );
      }
    });
  });
});
