import { randomBytes, randomUUID } from 'node:crypto';
import { ConfigModule } from '@backchannel/config';
import { CryptoModule, PayloadSealer, sha256Hex } from '@backchannel/crypto';
import { EventStoreModule, PostgresEventStore } from '@backchannel/event-store';
import { clientStreamId } from '@backchannel/events';
import { InvalidClientMetadata } from '@backchannel/oauth';
import { clientAssertion, newClientKey, testConfig } from '@backchannel/testing';
import { SignJWT } from 'jose';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientRegistry } from './client-registry.service.js';
import { JWT_BEARER_ASSERTION_TYPE } from './client-credentials.js';
import { ClientsModule } from './clients.module.js';
import { SpentClientJwts } from './spent-client-jwts.js';

/** What a request presents, without a TLS client certificate. */
function presented(authorization: string | undefined, params: ReadonlyMap<string, string>) {
  return { authorization, params, clientCertificate: null, now: new Date() };
}

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
        CryptoModule.forRoot(config),
        ClientsModule,
      ],
    }).compile();
    registry = moduleRef.get(ClientRegistry);
    authenticator = moduleRef.get(ClientAuthenticator);
    dataSource = moduleRef.get(DataSource);
  });

  afterAll(() => moduleRef.close());

  /** A client with a secret (the default method). */
  async function register(metadata: Record<string, unknown> = {}) {
    const { client, clientSecret } = await registry.register(
      { client_name: 'Call centre', backchannel_token_delivery_mode: 'poll', ...metadata },
      { actor: 'admin', correlationId: randomUUID(), now },
    );
    if (clientSecret === null) throw new Error('a client of a secret method is given a secret');
    return { client, clientSecret };
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
      sealedSecret: null,
      metadata: expect.objectContaining({ client_name: 'Call centre', scope: 'openid accounts' }),
      registeredAt: now.toISOString(),
    });
    // A registry without the cache reads the `clients` row.
    const coldRegistry = new ClientRegistry(
      moduleRef.get(PostgresEventStore),
      dataSource,
      moduleRef.get(PayloadSealer),
      config,
    );
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
        moduleRef.get(PayloadSealer),
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

      await expect(
        authenticator.authenticate(presented(basic(client.clientId, clientSecret), new Map())),
      ).resolves.toEqual(client);
    });

    it('authenticates client_secret_post for a client registered with it', async () => {
      const { client, clientSecret } = await register({ token_endpoint_auth_method: 'client_secret_post' });

      const form = new Map([
        ['client_id', client.clientId],
        ['client_secret', clientSecret],
      ]);
      await expect(authenticator.authenticate(presented(undefined, form))).resolves.toEqual(client);
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
        await expect(authenticator.authenticate(presented(authorization, form))).rejects.toEqual(
          expect.objectContaining({ error: 'invalid_client', description: 'Client authentication failed.' }),
        );
      }
    });
  });

  describe('private_key_jwt', () => {
    const key = newClientKey('ES256');
    const assertionForm = (assertion: string) =>
      new Map([
        ['client_assertion_type', JWT_BEARER_ASSERTION_TYPE],
        ['client_assertion', assertion],
      ]);

    async function registerKeyClient() {
      return registry.register(
        {
          client_name: 'Bank',
          backchannel_token_delivery_mode: 'poll',
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [key.publicJwk] },
        },
        { actor: 'admin', correlationId: randomUUID(), now },
      );
    }

    /** A second service replica: its own module, pool and caches, the same database. */
    async function replica(replicaConfig = config): Promise<TestingModule> {
      return Test.createTestingModule({
        imports: [
          ConfigModule.forRoot(replicaConfig),
          EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
          CryptoModule.forRoot(replicaConfig),
          ClientsModule,
        ],
      }).compile();
    }

    it('registers a key-based client without a secret, and stores no digest', async () => {
      const { client, clientSecret } = await registerKeyClient();
      expect(clientSecret).toBeNull();
      expect(client.secretSha256).toBeNull();
      expect(client.metadata).toMatchObject({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
      });
      const rows = await dataSource.query(`SELECT secret_sha256 FROM clients WHERE client_id = $1`, [client.clientId]);
      expect(rows).toEqual([{ secret_sha256: null }]);
      // and no secret can authenticate it, not even an empty one
      await expect(authenticator.authenticate(presented(basic(client.clientId, ''), new Map()))).rejects.toMatchObject({
        error: 'invalid_client',
      });
    });

    it('authenticates an assertion once; the replay is refused here and by another replica', async () => {
      const { client } = await registerKeyClient();
      const assertion = await clientAssertion(key, { clientId: client.clientId, audience: config.issuer });

      await expect(authenticator.authenticate(presented(undefined, assertionForm(assertion)))).resolves.toEqual(client);
      const replay = {
        error: 'invalid_client',
        description: 'The client assertion was already used: each jti is accepted once.',
      };
      await expect(authenticator.authenticate(presented(undefined, assertionForm(assertion)))).rejects.toMatchObject(
        replay,
      );

      const other = await replica();
      try {
        const otherAuthenticator = other.get(ClientAuthenticator);
        await expect(
          otherAuthenticator.authenticate(presented(undefined, assertionForm(assertion))),
        ).rejects.toMatchObject(replay);
        const fresh = await clientAssertion(key, { clientId: client.clientId, audience: `${config.issuer}/token` });
        await expect(otherAuthenticator.authenticate(presented(undefined, assertionForm(fresh)))).resolves.toEqual(
          client,
        );
      } finally {
        await other.close();
      }
    });

    it('client_secret_jwt: the secret is shown once, kept only sealed, and authenticates HS256 assertions alone', async () => {
      const { client, clientSecret } = await registry.register(
        {
          client_name: 'MAC client',
          backchannel_token_delivery_mode: 'poll',
          token_endpoint_auth_method: 'client_secret_jwt',
        },
        { actor: 'admin', correlationId: randomUUID(), now },
      );
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client.secretSha256).toBeNull();
      const [row] = await dataSource.query(`SELECT secret_sha256, sealed_secret FROM clients WHERE client_id = $1`, [
        client.clientId,
      ]);
      expect(row.secret_sha256).toBeNull();
      expect(row.sealed_secret.split('.')).toHaveLength(5); // a JWE
      const { events } = await moduleRef.get(PostgresEventStore).readStream(clientStreamId(client.clientId));
      expect(JSON.stringify(events)).not.toContain(clientSecret);

      // a client_secret_jwt assertion: an HS256 MAC with the secret
      const macAssertion = () =>
        new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(client.clientId)
          .setSubject(client.clientId)
          .setAudience(config.issuer)
          .setExpirationTime('1m')
          .sign(new TextEncoder().encode(clientSecret!));
      const mac = await macAssertion();
      // a replica that never saw the registration opens the sealed secret from the database
      const other = await replica();
      try {
        await expect(
          other.get(ClientAuthenticator).authenticate(presented(undefined, assertionForm(mac))),
        ).resolves.toMatchObject({ clientId: client.clientId });
      } finally {
        await other.close();
      }
      // a replica whose key ring lost the key that sealed the secret refuses the client, without a 500
      const withoutTheKey = await replica(
        testConfig({
          BACKCHANNEL_KEY_ENCRYPTION_KEY: undefined,
          BACKCHANNEL_KEY_ENCRYPTION_KEYS: `later:${randomBytes(32).toString('base64url')}`,
        }),
      );
      try {
        const again = await macAssertion();
        await expect(
          withoutTheKey.get(ClientAuthenticator).authenticate(presented(undefined, assertionForm(again))),
        ).rejects.toMatchObject({ error: 'invalid_client', description: 'Client authentication failed.' });
      } finally {
        await withoutTheKey.close();
      }
      // the same secret sent as a password is not this client's method
      await expect(
        authenticator.authenticate(presented(basic(client.clientId, clientSecret!), new Map())),
      ).rejects.toMatchObject({ error: 'invalid_client' });
    });

    it('lets a registration access token serve once, even to calls that race with it', async () => {
      const { client, registrationAccessToken } = await registry.register(
        { client_name: 'Managed client', backchannel_token_delivery_mode: 'poll' },
        { actor: 'registration', correlationId: randomUUID(), now },
        true,
      );
      const spans: { start: number; end: number }[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const start = performance.now();
          const access = await registry.withRegistrationAccess(client.clientId, registrationAccessToken!);
          spans.push({ start, end: performance.now() });
          return access;
        }),
      );
      // the race happened: every call was made before any was answered
      expect(Math.max(...spans.map((span) => span.start))).toBeLessThan(Math.min(...spans.map((span) => span.end)));
      const granted = outcomes.filter((outcome) => outcome !== null);
      expect(granted).toHaveLength(1);
      expect(granted[0]!.client.clientId).toBe(client.clientId);
      // the rotated token is the one that works now; an admin-registered client has none at all
      await expect(registry.withRegistrationAccess(client.clientId, granted[0]!.rotatedToken)).resolves.not.toBeNull();
      const { client: adminClient } = await registerKeyClient();
      await expect(registry.withRegistrationAccess(adminClient.clientId, registrationAccessToken!)).resolves.toBeNull();
    });

    it('accepts one of several concurrent uses of the same assertion', async () => {
      const { client } = await registerKeyClient();
      const assertion = await clientAssertion(key, { clientId: client.clientId, audience: config.issuer });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => authenticator.authenticate(presented(undefined, assertionForm(assertion)))),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(7);
    });

    it('keeps a spent jti until the assertion expires, then sweeps it', async () => {
      const spent = moduleRef.get(SpentClientJwts);
      const clientId = `sweep-${randomUUID()}`;
      const later = new Date(Date.now() + 120_000);
      expect(await spent.spend(clientId, 'assertion', 'j-1', new Date(Date.now() + 60_000), new Date())).toBe(true);
      expect(await spent.spend(clientId, 'assertion', 'j-1', new Date(Date.now() + 60_000), new Date())).toBe(false);
      // a signed request of the same client may carry the same jti: another kind of JWT
      expect(await spent.spend(clientId, 'request', 'j-1', new Date(Date.now() + 60_000), new Date())).toBe(true);
      // a sweep two minutes later (the first call of a fresh guard always sweeps) removes the expired row
      const sweeper = new SpentClientJwts(dataSource);
      expect(await sweeper.spend(clientId, 'assertion', 'j-2', new Date(later.getTime() + 60_000), later)).toBe(true);
      const left = await dataSource.query(`SELECT count(*)::int AS n FROM spent_client_jwts WHERE client_id = $1`, [
        clientId,
      ]);
      expect(left).toEqual([{ n: 1 }]); // j-2; both j-1 expired and were swept
    });
  });
});
