import { randomBytes, randomUUID } from 'node:crypto';
import { createDataSource } from '@backchannel/event-store';
import type { DataSource } from 'typeorm';
import { PayloadSealer } from './payload-sealer.service.js';
import { ShreddablePayloads } from './shreddable-payloads.service.js';

/** Crypto-shredding on the real PostgreSQL (the shared test database's `shreddable_keys`). */
describe('ShreddablePayloads on PostgreSQL', () => {
  const sealer = new PayloadSealer({ keyEncryptionKeys: [{ kid: 'k1', key: randomBytes(32) }] });
  const later = new Date(Date.now() + 60_000);
  let dataSource: DataSource;
  let payloads: ShreddablePayloads;

  beforeAll(async () => {
    dataSource = await createDataSource(process.env.DATABASE_URL!, { poolSize: 2 }).initialize();
    payloads = new ShreddablePayloads(sealer, dataSource);
  });

  afterAll(() => dataSource?.destroy());

  it('opens what it sealed for its owner only, and nothing of an owner once shredded', async () => {
    const owner = `auth-request-${randomUUID()}`;
    const first = await payloads.seal({ access_token: 'one' }, owner, later);
    const second = await payloads.seal({ access_token: 'two' }, owner, later);
    const another = await payloads.seal({ access_token: 'three' }, `${owner}-other`, later);

    await expect(payloads.open(first, owner)).resolves.toEqual({ access_token: 'one' });
    await expect(payloads.open(first, `${owner}-other`)).rejects.toThrow('the sealed value was shredded');
    // the data key is stored sealed, never as it is
    const [row] = await dataSource.query(`SELECT sealed_key FROM shreddable_keys WHERE owner = $1 LIMIT 1`, [owner]);
    expect(row.sealed_key.split('.')).toHaveLength(5);

    expect(await payloads.shred(owner)).toBe(2);
    for (const sealed of [first, second]) {
      await expect(payloads.open(sealed, owner)).rejects.toThrow('the sealed value was shredded');
    }
    await expect(payloads.open(another, `${owner}-other`)).resolves.toEqual({ access_token: 'three' });
  });

  it('still opens a value sealed by PayloadSealer before data keys of their own existed', async () => {
    const owner = `auth-request-${randomUUID()}`;
    const legacy = await sealer.seal({ access_token: 'legacy' }, owner);
    await expect(payloads.open(legacy, owner)).resolves.toEqual({ access_token: 'legacy' });
    await expect(payloads.open('not a jwe', owner)).rejects.toThrow('not a JWE');
  });
});
