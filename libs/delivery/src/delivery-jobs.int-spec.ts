import { randomUUID } from 'node:crypto';
import { createDataSource } from '@backchannel/event-store';
import { testConfig } from '@backchannel/testing';
import type { DataSource } from 'typeorm';
import { DeliveryJobs } from './delivery-jobs.repository.js';

/** The delivery_jobs statements on the real PostgreSQL, each way a claim is given back. */
describe('DeliveryJobs on PostgreSQL', () => {
  let dataSource: DataSource;
  let jobs: DeliveryJobs;

  beforeAll(async () => {
    dataSource = await createDataSource(testConfig().databaseUrl).initialize();
    jobs = new DeliveryJobs(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  async function claimedJob(now: Date) {
    const streamId = `auth-request-${randomUUID()}`;
    await jobs.schedule([
      {
        queue: 'client-notification',
        streamId,
        recipient: 'client-of-delivery-jobs-int-spec',
        expiresAt: new Date(now.getTime() + 60_000),
        dueAt: new Date(now.getTime() - 1),
      },
    ]);
    const claimed = await jobs.claimDue('client-notification', now, 10_000, 100);
    const job = claimed.find((candidate) => candidate.streamId === streamId);
    if (!job) throw new Error('the job was not claimed');
    return job;
  }

  const nextAttemptOf = async (streamId: string): Promise<Date> => {
    const [row] = (await dataSource.query(`SELECT next_attempt_at FROM delivery_jobs WHERE stream_id = $1`, [
      streamId,
    ])) as { next_attempt_at: Date }[];
    return row!.next_attempt_at;
  };

  it('gives a claim back uncounted, to be looked at again when it is owed', async () => {
    const now = new Date();
    const job = await claimedJob(now);
    const until = new Date(now.getTime() + 30_000);
    await jobs.release(job, until, now);
    expect(await nextAttemptOf(job.streamId)).toEqual(until);
  });

  it('retries a failed attempt at the time given', async () => {
    const now = new Date();
    const job = await claimedJob(now);
    const at = new Date(now.getTime() + 5_000);
    await jobs.retryLater(job, at, 'connection refused');
    expect(await nextAttemptOf(job.streamId)).toEqual(at);
  });
});
