import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ClaimedJob as LeasedJob, LeasedJobs } from '@backchannel/messaging';

/** A delivery job a worker holds the lease of. */
export type ClaimedJob = LeasedJob<'streamId'>;

/**
 * The client_notification_jobs table: one row per ping or push request, due (next_attempt_at)
 * once something may be owed to the client.
 */
@Injectable()
export class DeliveryJobsRepository extends LeasedJobs<'streamId'> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, { name: 'client_notification_jobs', key: { streamId: 'stream_id' } });
  }
}
