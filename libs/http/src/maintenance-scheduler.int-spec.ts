import { randomUUID } from 'node:crypto';
import { verifyCheckpointSignature } from '@backchannel/crypto';
import { PostgresEventStore, createDataSource, poolSql, readCheckpoints } from '@backchannel/event-store';
import { authRequestStreamId } from '@backchannel/events';
import { testConfig } from '@backchannel/testing';
import type { DataSource } from 'typeorm';
import { MaintenanceScheduler } from './maintenance-scheduler.js';

/** The scheduled audit checkpoint on the real PostgreSQL, as each replica of each service runs it. */
describe('scheduled audit checkpoints', () => {
  let dataSource: DataSource;
  let scheduler: MaintenanceScheduler;

  beforeAll(async () => {
    dataSource = await createDataSource(process.env.DATABASE_URL!, { poolSize: 2 }).initialize();
    scheduler = new MaintenanceScheduler(
      dataSource,
      [],
      testConfig({ AUDIT_CHECKPOINT_INTERVAL_MINUTES: '1', RETENTION_INTERVAL_MINUTES: '0' }),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  async function appendToNewStream(): Promise<string> {
    const streamId = authRequestStreamId(randomUUID());
    await new PostgresEventStore(dataSource).appendToStream(streamId, 0, [
      {
        type: 'UserNotified',
        schemaVersion: 1,
        data: { requestId: 'request-1', subject: 'user-1', channel: 'webhook', deviceId: null },
        metadata: { correlationId: 'maintenance-it', actor: 'system', occurredAt: new Date().toISOString() },
      },
    ]);
    return streamId;
  }

  it('signs the new heads, and a replica finding a checkpoint of the last half interval leaves it', async () => {
    const first = await appendToNewStream();
    const last = (await readCheckpoints(poolSql(dataSource))).at(-1);
    // after any checkpoint other tests made: this replica's round is due
    const due = new Date(Math.max(Date.now(), last ? new Date(last.createdAt).getTime() + 31_000 : 0));

    const made = await scheduler.checkpointOnce(due);
    expect(made).not.toBeNull();

    const second = await appendToNewStream();
    expect(await scheduler.checkpointOnce(new Date(due.getTime() + 10_000))).toBeNull();
    const later = await scheduler.checkpointOnce(new Date(due.getTime() + 40_000));
    expect(later).not.toBeNull();

    const checkpoints = await readCheckpoints(poolSql(dataSource));
    const [signedFirst, signedLater] = [made, later].map((one) => checkpoints.find((c) => c.digest === one!.digest)!);
    expect(signedFirst!.heads.map((head) => head.streamId)).toContain(first);
    expect(signedLater!.heads.map((head) => head.streamId)).toContain(second);
    expect(signedLater!.heads.map((head) => head.streamId)).not.toContain(first);
    const [key] = await dataSource.query(`SELECT public_jwk FROM audit_keys WHERE kid = $1`, [signedLater!.kid]);
    expect(await verifyCheckpointSignature(signedLater!.signature, key.public_jwk)).toBe(signedLater!.digest);
  });
});
