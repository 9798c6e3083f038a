import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '@backchannel/config';
import { createDataSource, EventStoreModule, runMigrations } from '@backchannel/event-store';
import { Test } from '@nestjs/testing';
import { decodeProtectedHeader } from 'jose';
import type { DataSource } from 'typeorm';
import { CryptoModule } from './crypto.module.js';
import { verifyJwt } from './jwt-verification.js';
import { SigningKeys } from './signing-keys.service.js';
import { TokenSigner } from './token-signer.service.js';

/**
 * Signing keys are one per deployment, so each test gets a database schema of its own (a fresh
 * `signing_keys` table) instead of sharing the test database's with other test files.
 */
describe('SigningKeys on PostgreSQL', () => {
  const keyEncryptionKey = randomBytes(32);
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
    >(`SELECT kid, alg, public_jwk, private_jwk_encrypted FROM ${schema}.signing_keys`);
  }

  it('generates and stores one ES256 key on the first start, its private part encrypted', async () => {
    const active = await new SigningKeys(await openDataSource(), { keyEncryptionKey }).activeKey();

    const rows = await storedKeys();
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({ kid: active.kid, alg: 'ES256' });
    expect(active.alg).toBe('ES256');
    expect(row!.public_jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: active.kid, alg: 'ES256', use: 'sig' });
    expect(row!.public_jwk).not.toHaveProperty('d');
    expect(decodeProtectedHeader(row!.private_jwk_encrypted)).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
    expect(row!.private_jwk_encrypted).not.toMatch(/"d"|"kty"|\{/);
    expect(Buffer.from(row!.private_jwk_encrypted.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('"d"');
  });

  it('loads the stored key on later starts instead of generating another', async () => {
    const first = await new SigningKeys(await openDataSource(), { keyEncryptionKey }).activeKey();

    const second = await new SigningKeys(await openDataSource(), { keyEncryptionKey }).activeKey();

    expect(second.kid).toBe(first.kid);
    expect(await storedKeys()).toHaveLength(1);
  });

  it('ends with one active key when several services start at once', async () => {
    const services = await Promise.all(
      Array.from({ length: 4 }, async () => new SigningKeys(await openDataSource(), { keyEncryptionKey })),
    );

    const keys = await Promise.all(services.map((service) => service.activeKey()));

    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
    expect((await storedKeys()).map((row) => row.kid)).toEqual([keys[0]!.kid]);
  });

  it('caches the key: one instance returns the same key object every time', async () => {
    const keys = new SigningKeys(await openDataSource(), { keyEncryptionKey });

    const [a, b] = await Promise.all([keys.activeKey(), keys.activeKey()]);

    expect(b).toBe(a);
    expect(await keys.activeKey()).toBe(a);
  });

  it('publishes the active key, and only its public part, in the JWKS', async () => {
    const keys = new SigningKeys(await openDataSource(), { keyEncryptionKey });

    const jwks = await keys.jwks();

    const { kid } = await keys.activeKey();
    expect(jwks.keys).toEqual([expect.objectContaining({ kid, kty: 'EC', alg: 'ES256', use: 'sig' })]);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('leaves retired keys out of the JWKS', async () => {
    const keys = new SigningKeys(await openDataSource(), { keyEncryptionKey });
    await keys.jwks();
    await admin.query(`UPDATE ${schema}.signing_keys SET retired_at = now()`);

    await expect(keys.jwks()).resolves.toEqual({ keys: [] });
  });

  it('stops the service at start when the key-encryption key does not open the stored key', async () => {
    await new SigningKeys(await openDataSource(), { keyEncryptionKey }).activeKey();

    const misconfigured = new SigningKeys(await openDataSource(), { keyEncryptionKey: randomBytes(32) });
    const startup = misconfigured.onApplicationBootstrap();

    await expect(startup).rejects.toBeInstanceOf(ConfigurationError);
    await expect(startup).rejects.toThrow(/BACKCHANNEL_KEY_ENCRYPTION_KEY: does not open the stored signing key/);
  });

  it('refuses a key-encryption key that is not 32 bytes', async () => {
    const dataSource = await openDataSource();

    expect(() => new SigningKeys(dataSource, { keyEncryptionKey: randomBytes(16) })).toThrow(
      'the signing key-encryption key must be 32 bytes, not 16',
    );
  });

  it('is wired by CryptoModule: TokenSigner signs tokens the JWKS verifies', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ databaseUrl: schemaUrl, runMigrations: false, poolSize: 2 }),
        CryptoModule.forRoot({ keyEncryptionKey }),
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
});
