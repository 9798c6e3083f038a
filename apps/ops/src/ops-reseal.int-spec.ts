import { randomBytes } from 'node:crypto';
import type { KeyEncryptionKey } from '@backchannel/config';
import { generateAuditKey, KeyRing, PayloadSealer, ShreddablePayloads, SigningKeys } from '@backchannel/crypto';
import { createDataSource, runMigrations } from '@backchannel/event-store';
import type { DataSource } from 'typeorm';
import { CLIENT_KEYED_COLUMNS, SEALED_COLUMNS, reseal } from './commands/reseal.js';
import { rotateSigningKey } from './commands/rotate-signing-key.js';
import { type OpsContext, contextOf } from './ops-context.js';
import { type ScratchDatabase, createScratchDatabase } from './scratch-database.fixture.js';

/** The same values in the form the environment gives them. */
function ringVariable(keys: KeyEncryptionKey[]): NodeJS.ProcessEnv {
  return {
    BACKCHANNEL_KEY_ENCRYPTION_KEYS: keys
      .map(({ kid, key }) => `${kid}:${Buffer.from(key).toString('base64url')}`)
      .join(),
  };
}

/**
 * `ops reseal` and `ops rotate-signing-key` in a database of their own: they touch every sealed row
 * and the signing keys, which the shared test database's other tests rely on.
 */
describe('ops reseal and rotate-signing-key', () => {
  let scratch: ScratchDatabase;
  const signingKeys = { rotationDays: 30, publishLeadSeconds: 3600, longestTokenLifetimeSeconds: 600 };
  const older: KeyEncryptionKey = { kid: 'initial', key: randomBytes(32) };
  const newer: KeyEncryptionKey = { kid: '2026-06', key: randomBytes(32) };
  let dataSource: DataSource;
  let output: string[];
  let context: OpsContext;

  beforeAll(async () => {
    scratch = await createScratchDatabase('ops_keys');
    dataSource = await createDataSource(scratch.url, { migrations: scratch.migrations, poolSize: 4 }).initialize();
    await runMigrations(dataSource);
    output = [];
    context = { ...contextOf(dataSource, true), out: (line) => output.push(line) };
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await scratch?.drop();
  });

  /** Runs a command, its one JSON document parsed. */
  async function run<T>(
    command: (context: OpsContext, env: NodeJS.ProcessEnv) => Promise<number>,
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number; result: T }> {
    output.length = 0;
    const code = await command(context, env);
    return { code, result: JSON.parse(output.join('\n')) as T };
  }

  const kidOf = (sealed: string) => new KeyRing([older, newer]).keyIdOf(sealed);

  it('finds every column named as sealed or encrypted in the list it re-seals', async () => {
    const columns = await dataSource.query<{ table_name: string; column_name: string }[]>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND (column_name LIKE '%sealed%' OR column_name LIKE '%encrypted%')`,
    );

    const listed = [...SEALED_COLUMNS, ...CLIENT_KEYED_COLUMNS].map(({ table, column }) => `${table}.${column}`);
    expect(columns.length).toBeGreaterThanOrEqual(4);
    for (const column of columns) expect(listed).toContain(`${column.table_name}.${column.column_name}`);
  });

  it('seals again under the newest key what older keys sealed, once; and leaves what no key opens', async () => {
    const sealer = new PayloadSealer({ keyEncryptionKeys: [older] });
    const signing = await new SigningKeys(dataSource, { keyEncryptionKeys: [older], signingKeys }).activeKey();
    const audit = await generateAuditKey(new KeyRing([older]));
    await dataSource.query(`INSERT INTO audit_keys (kid, public_jwk, private_jwk_encrypted) VALUES ($1, $2, $3)`, [
      audit.kid,
      JSON.stringify(audit.publicJwk),
      audit.sealedPrivateJwk,
    ]);
    const clientSecret = await sealer.seal('client-secret', 'client-c1');
    await dataSource.query(
      `INSERT INTO clients (client_id, sealed_secret, metadata, registered_at) VALUES ('c1', $1, '{}', now())`,
      [clientSecret],
    );
    await dataSource.query(`INSERT INTO vapid_keys (public_key, sealed_private_key) VALUES ('public', $1)`, [
      await sealer.seal('vapid-private', 'vapid_keys'),
    ]);
    await dataSource.query(`INSERT INTO users (subject) VALUES ('u1')`);
    await dataSource.query(
      `INSERT INTO devices (device_id, subject, name, token_sha256, answer_door) VALUES ('d1', 'u1', 'phone', 'x', 'device_token')`,
    );
    await dataSource.query(`INSERT INTO device_channels (device_id, channel, settings) VALUES ('d1', 'webhook', $1)`, [
      JSON.stringify({ url: 'https://hooks.example.com', sealedSecret: await sealer.seal('hook-secret', 'd1') }),
    ]);
    const pushed = await new ShreddablePayloads(sealer, dataSource).seal(
      { access_token: 'pushed' },
      'auth-request-s1',
      new Date(Date.now() + 60_000),
    );
    // sealed under a key that is in no ring: reported, left as it is
    const lost = await new PayloadSealer({ keyEncryptionKeys: [{ kid: 'lost', key: randomBytes(32) }] }).seal(
      'lost-secret',
      'client-c2',
    );
    await dataSource.query(
      `INSERT INTO clients (client_id, sealed_secret, metadata, registered_at) VALUES ('c2', $1, '{}', now())`,
      [lost],
    );

    const first = await run<{ newestKid: string; tables: Record<string, { resealed: number; failed: unknown[] }> }>(
      reseal,
      ringVariable([older, newer]),
    );

    expect(first.code).toBe(1);
    expect(first.result.newestKid).toBe('2026-06');
    expect(first.result.tables).toMatchObject({
      'signing_keys.private_jwk_encrypted': { resealed: 1, failed: [] },
      'audit_keys.private_jwk_encrypted': { resealed: 1, failed: [] },
      'clients.sealed_secret': {
        resealed: 1,
        failed: [
          { id: 'c2', error: expect.stringContaining("key-encryption key 'lost', which is not in the key ring") },
        ],
      },
      'vapid_keys.sealed_private_key': { resealed: 1, failed: [] },
      'device_channels.sealedSecret': { resealed: 1, failed: [] },
      'shreddable_keys.sealed_key': { resealed: 1, failed: [] },
    });

    // everything opens with the newest key alone, bound as before
    const newest = new PayloadSealer({ keyEncryptionKeys: [newer] });
    const [client] = await dataSource.query(`SELECT sealed_secret FROM clients WHERE client_id = 'c1'`);
    await expect(newest.open(client.sealed_secret, 'client-c1')).resolves.toBe('client-secret');
    await expect(newest.open(client.sealed_secret, 'client-c2')).rejects.toThrow('belongs to another owner');
    const [vapid] = await dataSource.query(`SELECT sealed_private_key FROM vapid_keys`);
    await expect(newest.open(vapid.sealed_private_key, 'vapid_keys')).resolves.toBe('vapid-private');
    const [channel] = await dataSource.query(`SELECT settings FROM device_channels WHERE device_id = 'd1'`);
    expect(channel.settings.url).toBe('https://hooks.example.com');
    await expect(newest.open(channel.settings.sealedSecret, 'd1')).resolves.toBe('hook-secret');
    await expect(new ShreddablePayloads(newest, dataSource).open(pushed, 'auth-request-s1')).resolves.toEqual({
      access_token: 'pushed',
    });
    const [auditRow] = await dataSource.query(`SELECT private_jwk_encrypted FROM audit_keys`);
    expect(kidOf(auditRow.private_jwk_encrypted)).toBe('2026-06');
    const reopened = await new SigningKeys(dataSource, { keyEncryptionKeys: [newer], signingKeys }).activeKey();
    expect(reopened.kid).toBe(signing.kid);
    const [lostRow] = await dataSource.query(`SELECT sealed_secret FROM clients WHERE client_id = 'c2'`);
    expect(lostRow.sealed_secret).toBe(lost);

    await dataSource.query(`DELETE FROM clients WHERE client_id = 'c2'`);
    const again = await run<{ tables: Record<string, { resealed: number; current: number }> }>(
      reseal,
      ringVariable([older, newer]),
    );
    expect(again.code).toBe(0);
    expect(Object.values(again.result.tables).every((table) => table.resealed === 0 && table.current === 1)).toBe(true);
  });

  it('rotates the signing key on request: published now, signing after the lead time, once', async () => {
    const env = { ...ringVariable([older, newer]), SIGNING_KEY_PUBLISH_LEAD_SECONDS: '900' };
    const before = Date.now();

    const rotated = await run<{ kid: string; activatesAt: string; created: boolean; supersedes: { kid: string } }>(
      rotateSigningKey,
      env,
    );

    expect(rotated.code).toBe(0);
    expect(rotated.result.created).toBe(true);
    expect(Date.parse(rotated.result.activatesAt) - before).toBeGreaterThanOrEqual(900_000);
    const [row] = await dataSource.query(`SELECT private_jwk_encrypted FROM signing_keys WHERE kid = $1`, [
      rotated.result.kid,
    ]);
    expect(kidOf(row.private_jwk_encrypted)).toBe('2026-06');
    const again = await run<{ kid: string; created: boolean }>(rotateSigningKey, env);
    expect(again.result).toMatchObject({ kid: rotated.result.kid, created: false });
    expect(await dataSource.query(`SELECT kid FROM signing_keys`)).toHaveLength(2);
  });
});
