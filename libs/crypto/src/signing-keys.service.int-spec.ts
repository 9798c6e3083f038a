import { randomBytes } from 'node:crypto';
import { ConfigurationError, type KeyEncryptionKey, type SigningKeyRotation } from '@backchannel/config';
import { createDataSource, EventStoreModule, runMigrations } from '@backchannel/event-store';
import { Test } from '@nestjs/testing';
import { decodeProtectedHeader } from 'jose';
import type { DataSource } from 'typeorm';
import { CryptoModule } from './crypto.module.js';
import { verifyJwt } from './jwt-verification.js';
import { SIGNING_KEYS_REFRESH_SECONDS } from './signing-key-rotation.js';
import { PayloadSealer } from './payload-sealer.service.js';
import { SigningKeys } from './signing-keys.service.js';
import { TokenSigner } from './token-signer.service.js';

const rotation: SigningKeyRotation = { rotationDays: 30, publishLeadSeconds: 3600, longestTokenLifetimeSeconds: 600 };
const DAY_MS = 86_400_000;

/**
 * Signing keys are one per deployment, so each test gets a database schema of its own (a fresh
 * `signing_keys` table) instead of sharing the test database's with other test files.
 */
describe('SigningKeys on PostgreSQL', () => {
  const keyEncryptionKeys: KeyEncryptionKey[] = [{ kid: 'k1', key: randomBytes(32) }];
  const options = { keyEncryptionKeys, signingKeys: rotation };
  let admin: DataSource;
  let schema: string;
  let schemaUrl: string;
  let opened: DataSource[];

  beforeAll(async () => {
    admin = await createDataSource(process.env.DATABASE_URL!, { poolSize: 1 }).initialize();
  });

  afterAll(() => admin.destroy());

  beforeEach(async () => {
    schema = `signing_keys_test_${randomBytes(8).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    schemaUrl = url.toString();
    opened = [];
    await runMigrations(await openDataSource());
  });

  afterEach(async () => {
    await Promise.all(opened.map((dataSource) => dataSource.destroy()));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  });

  async function openDataSource(): Promise<DataSource> {
    const dataSource = await createDataSource(schemaUrl, {
      poolSize: 2,
      migrations: CryptoModule.migrations,
    }).initialize();
    opened.push(dataSource);
    return dataSource;
  }

  async function storedKeys() {
    return admin.query<
      { kid: string; alg: string; public_jwk: Record<string, unknown>; private_jwk_encrypted: string }[]
    >(`SELECT kid, alg, public_jwk, private_jwk_encrypted FROM ${schema}.signing_keys ORDER BY activates_at`);
  }

  it('generates and stores one ES256 key on the first start, its private part encrypted', async () => {
    const active = await new SigningKeys(await openDataSource(), options).activeKey();

    const rows = await storedKeys();
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ kid: active.kid, alg: 'ES256' });
    expect(active.alg).toBe('ES256');
    expect(row!.public_jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: active.kid, alg: 'ES256', use: 'sig' });
    expect(row!.public_jwk).not.toHaveProperty('d');
    expect(decodeProtectedHeader(row!.private_jwk_encrypted)).toMatchObject({
      alg: 'dir',
      enc: 'A256GCM',
      kid: 'k1',
      bnd: active.kid,
    });
    expect(row!.private_jwk_encrypted).not.toMatch(/"d"|"kty"|\{/);
    expect(Buffer.from(row!.private_jwk_encrypted.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('"d"');
  });

  it('loads the stored key on later starts instead of generating another', async () => {
    const first = await new SigningKeys(await openDataSource(), options).activeKey();

    const second = await new SigningKeys(await openDataSource(), options).activeKey();

    expect(second.kid).toBe(first.kid);
    expect(await storedKeys()).toHaveLength(1);
  });

  it('ends with one active key when several services start at once', async () => {
    const services = await Promise.all(
      Array.from({ length: 4 }, async () => new SigningKeys(await openDataSource(), options)),
    );

    const keys = await Promise.all(services.map((service) => service.activeKey()));

    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
    expect((await storedKeys()).map((row) => row.kid)).toEqual([keys[0]!.kid]);
  });

  it('has the first key sign for a replica that read its clock before the one that added it', async () => {
    // the race of a first start: the later clock takes the creation lock first
    const now = new Date();
    const [late, early] = [
      new SigningKeys(await openDataSource(), options),
      new SigningKeys(await openDataSource(), options),
    ];
    const added = await late.activeKey(new Date(now.getTime() + 5_000));

    expect((await early.activeKey(now)).kid).toBe(added.kid);
    expect(await storedKeys()).toHaveLength(1);
  });

  it('caches the key: one instance returns the same key object every time', async () => {
    const keys = new SigningKeys(await openDataSource(), options);

    const [a, b] = await Promise.all([keys.activeKey(), keys.activeKey()]);

    expect(b).toBe(a);
    expect(await keys.activeKey()).toBe(a);
  });

  it('publishes the active key, and only its public part, in the JWKS', async () => {
    const keys = new SigningKeys(await openDataSource(), options);

    const jwks = await keys.jwks();

    const { kid } = await keys.activeKey();
    expect(jwks.keys).toEqual([expect.objectContaining({ kid, kty: 'EC', alg: 'ES256', use: 'sig' })]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('publishes the stored keys without key-encryption keys, and opens or adds none (the gateway)', async () => {
    const signer = new SigningKeys(await openDataSource(), options);
    const { kid } = await signer.activeKey();
    const publisher = new SigningKeys(await openDataSource(), { ...options, keyEncryptionKeys: [] });
    await publisher.onApplicationBootstrap();

    expect((await publisher.jwks()).keys.map((key) => key.kid)).toEqual([kid]);
    // long past the rotation: the next key is the signers' to add
    expect((await publisher.jwks(new Date(Date.now() + 60 * DAY_MS))).keys.map((key) => key.kid)).toEqual([kid]);
    await expect(publisher.activeKey()).rejects.toThrow('holds no key-encryption key');
    expect(await storedKeys()).toHaveLength(1);
  });

  it('wires the public keys alone without key-encryption keys: nothing seals or signs there', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ databaseUrl: schemaUrl, runMigrations: false, poolSize: 2 }),
        CryptoModule.forRoot({ ...options, keyEncryptionKeys: [] }),
      ],
    }).compile();
    try {
      await moduleRef.init();
      expect((await moduleRef.get(SigningKeys).jwks()).keys).toEqual([]);
      expect(() => moduleRef.get(TokenSigner)).toThrow();
      expect(() => moduleRef.get(PayloadSealer)).toThrow();
    } finally {
      await moduleRef.close();
    }
  });

  it('leaves a key retired by hand out of the JWKS at the next refresh, and signs with a new one', async () => {
    const keys = new SigningKeys(await openDataSource(), options);
    const now = new Date();
    const { kid } = await keys.activeKey(now);
    await admin.query(`UPDATE ${schema}.signing_keys SET retired_at = $1`, [now]);

    const later = new Date(now.getTime() + SIGNING_KEYS_REFRESH_SECONDS * 1000);
    const jwks = await keys.jwks(later);

    expect(jwks.keys.map((key) => key.kid)).toEqual([(await keys.activeKey(later)).kid]);
    expect(jwks.keys[0]!.kid).not.toBe(kid);
  });

  it('stops the service at start when the key-encryption key does not open the stored key', async () => {
    await new SigningKeys(await openDataSource(), options).activeKey();

    const misconfigured = new SigningKeys(await openDataSource(), {
      ...options,
      keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(32) }],
    });
    const startup = misconfigured.onApplicationBootstrap();

    await expect(startup).rejects.toBeInstanceOf(ConfigurationError);
    await expect(startup).rejects.toThrow(/BACKCHANNEL_KEY_ENCRYPTION_KEYS: does not open the stored signing key/);
  });

  it('stops the service at start, naming the kid, when the key that sealed the signing key left the ring', async () => {
    await new SigningKeys(await openDataSource(), options).activeKey();

    const startup = new SigningKeys(await openDataSource(), {
      ...options,
      keyEncryptionKeys: [{ kid: 'k2', key: randomBytes(32) }],
    }).onApplicationBootstrap();

    await expect(startup).rejects.toBeInstanceOf(ConfigurationError);
    await expect(startup).rejects.toThrow("sealed with key-encryption key 'k1', which is not in the key ring");
  });

  it('opens a key sealed under an older key-encryption key, and seals the next one under the newest', async () => {
    const now = new Date();
    const before = await new SigningKeys(await openDataSource(), options).activeKey(now);
    const ring = [...keyEncryptionKeys, { kid: 'k2', key: randomBytes(32) }];

    const keys = new SigningKeys(await openDataSource(), { ...options, keyEncryptionKeys: ring });
    expect((await keys.activeKey(now)).kid).toBe(before.kid);
    const next = await keys.rotate(now);

    const sealed = (await storedKeys()).find((row) => row.kid === next.kid)!.private_jwk_encrypted;
    expect(decodeProtectedHeader(sealed)).toMatchObject({ kid: 'k2', bnd: next.kid });
  });

  it('refuses a key-encryption key that is not 32 bytes', async () => {
    const dataSource = await openDataSource();

    expect(
      () => new SigningKeys(dataSource, { ...options, keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(16) }] }),
    ).toThrow('the key-encryption key k1 must be 32 bytes, not 16');
  });

  it('is wired by CryptoModule: TokenSigner signs tokens the JWKS verifies', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ databaseUrl: schemaUrl, runMigrations: false, poolSize: 2 }),
        CryptoModule.forRoot(options),
      ],
    }).compile();
    try {
      const issuedAt = new Date();
      const token = await moduleRef.get(TokenSigner).signAccessToken({
        issuer: 'https://as.example.com',
        audience: 'https://api.example.com',
        subject: 'user-1',
        clientId: 'client-1',
        scope: ['openid'],
        jti: 'at-1',
        issuedAt,
        expiresInSeconds: 60,
      });

      const jwks = await moduleRef.get(SigningKeys).jwks();
      await expect(
        verifyJwt(token, jwks, {
          issuer: 'https://as.example.com',
          audience: 'https://api.example.com',
          typ: 'at+jwt',
        }),
      ).resolves.toMatchObject({ sub: 'user-1', client_id: 'client-1' });
      expect(decodeProtectedHeader(token).kid).toBe((await storedKeys())[0]!.kid);
    } finally {
      await moduleRef.close();
    }
  });

  describe('rotation', () => {
    const t0 = new Date('2026-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const issuer = 'https://as.example.com';

    /** A token signed at `now` by the key that signs then, living as long as the longest-lived token. */
    function tokenAt(keys: SigningKeys, now: Date): Promise<string> {
      return new TokenSigner({ activeKey: () => keys.activeKey(now) }).signAccessToken({
        issuer,
        audience: 'https://api.example.com',
        subject: 'user-1',
        clientId: 'client-1',
        scope: ['openid'],
        jti: `at-${now.getTime()}`,
        issuedAt: now,
        expiresInSeconds: rotation.longestTokenLifetimeSeconds,
      });
    }

    function verifiesAt(keys: SigningKeys, token: string, now: Date): Promise<boolean> {
      return keys.jwks(now).then(
        (jwks) =>
          verifyJwt(token, jwks, { issuer, audience: 'https://api.example.com', currentDate: now }).then(
            () => true,
            () => false,
          ),
        () => false,
      );
    }

    it('publishes the next key before it signs, and keeps the old one until its last token expires', async () => {
      const keys = new SigningKeys(await openDataSource(), options);
      const first = (await keys.activeKey(t0)).kid;

      // SIGNING_KEY_ROTATION_DAYS later, the next key is added as the keys are read
      const due = at(30 * DAY_MS);
      const published = await keys.jwks(due);
      const next = published.keys.find((key) => key.kid !== first)!.kid!;
      expect(published.keys.map((key) => key.kid)).toEqual([next, first]);
      expect((await keys.activeKey(due)).kid).toBe(first);

      // the old key signs until the lead time has passed, its last token verifying with the JWKS
      const activation = new Date(due.getTime() + rotation.publishLeadSeconds * 1000);
      const lastOfFirst = await tokenAt(keys, new Date(activation.getTime() - 1000));
      expect(decodeProtectedHeader(lastOfFirst).kid).toBe(first);
      expect((await keys.activeKey(activation)).kid).toBe(next);
      expect(decodeProtectedHeader(await tokenAt(keys, activation)).kid).toBe(next);

      // the old key stays published until that token has expired (and a minute for clocks), then is retired
      const expiry = new Date(activation.getTime() - 1000 + rotation.longestTokenLifetimeSeconds * 1000);
      expect(await verifiesAt(keys, lastOfFirst, new Date(expiry.getTime() - 1000))).toBe(true);
      const retirement = new Date(activation.getTime() + (rotation.longestTokenLifetimeSeconds + 60) * 1000);
      expect((await keys.jwks(new Date(retirement.getTime() - 1))).keys.map((key) => key.kid)).toEqual([next, first]);
      expect((await keys.jwks(retirement)).keys.map((key) => key.kid)).toEqual([next]);
      expect(await storedKeys()).toHaveLength(2);
    });

    it('adds one key on request, published now and signing after the lead time; a second request adds none', async () => {
      const keys = new SigningKeys(await openDataSource(), options);
      const first = (await keys.activeKey(t0)).kid;

      const requested = await keys.rotate(at(60_000));

      const activatesAt = at(60_000 + rotation.publishLeadSeconds * 1000);
      expect(requested).toEqual({
        kid: expect.any(String),
        activatesAt,
        created: true,
        supersedes: { kid: first, retiresAt: new Date(activatesAt.getTime() + 660_000) },
      });
      expect((await keys.jwks(at(60_000))).keys.map((key) => key.kid)).toEqual([requested.kid, first]);
      expect((await keys.activeKey(at(60_000))).kid).toBe(first);
      await expect(keys.rotate(at(120_000))).resolves.toMatchObject({ kid: requested.kid, created: false });
      expect(await storedKeys()).toHaveLength(2);
    });

    it('makes exactly one new key when two replicas rotate at once', async () => {
      const [a, b] = [
        new SigningKeys(await openDataSource(), options),
        new SigningKeys(await openDataSource(), options),
      ];
      await a.activeKey(t0);

      const [fromA, fromB] = await Promise.all([a.rotate(at(60_000)), b.rotate(at(60_000))]);

      expect(fromA.kid).toBe(fromB.kid);
      expect([fromA.created, fromB.created].sort()).toEqual([false, true]);
      expect(await storedKeys()).toHaveLength(2);
    });

    it('makes exactly one new key when replicas find the schedule due at once', async () => {
      const replicas = await Promise.all(
        Array.from({ length: 3 }, async () => new SigningKeys(await openDataSource(), options)),
      );
      await replicas[0]!.activeKey(t0);

      const due = at(31 * DAY_MS);
      const published = await Promise.all(replicas.map((replica) => replica.jwks(due)));

      expect(await storedKeys()).toHaveLength(2);
      expect(new Set(published.map((jwks) => jwks.keys.map((key) => key.kid).join()))).toHaveProperty('size', 1);
    });
  });
});
