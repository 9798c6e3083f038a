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

  it('leases, in the statement that schedules them, the new jobs due now, up to the room given', async () => {
    const now = new Date();
    const streamId = `auth-request-${randomUUID()}`;
    const job = (recipient: string, dueAt: Date) => ({
      queue: 'device-notification' as const,
      streamId,
      recipient,
      expiresAt: new Date(now.getTime() + 60_000),
      dueAt,
    });
    const lease = { now, leaseMs: 10_000, limit: 2 };
    const leased = await jobs.schedule(
      [
        job('device-a', now),
        job('device-later', new Date(now.getTime() + 5_000)),
        job('device-b', now),
        job('device-c', now),
      ],
      lease,
    );
    // the first two places: device-a, and not device-later (not due yet); device-b is past the room of 2
    expect(leased.map((claimed) => [claimed.recipient, claimed.attempts, claimed.leaseUntil])).toEqual([
      ['device-a', 1, new Date(now.getTime() + 10_000)],
    ]);
    // the rest were scheduled unleased: a claim finds device-b and device-c, not the leased one
    const claimed = await jobs.claimDue('device-notification', now, 10_000, 100);
    expect(
      claimed
        .filter((candidate) => candidate.streamId === streamId)
        .map((candidate) => candidate.recipient)
        .sort(),
    ).toEqual(['device-b', 'device-c']);
    // scheduled again (a redelivered event): nothing added, nothing leased twice
    expect(await jobs.schedule([job('device-a', now), job('device-d', now)], { ...lease, limit: 10 })).toEqual([
      expect.objectContaining({ recipient: 'device-d', attempts: 1 }),
    ]);
  });
});
