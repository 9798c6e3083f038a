import { Module } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { DeliveryJobs } from './delivery-jobs.repository.js';
import { CreateDeliveryJobs1765000000200 } from './migrations/1765000000200-create-delivery-jobs.js';

/** The delivery job table; each service that delivers builds its DeliveryWorker over it. */
@Module({ providers: [DeliveryJobs], exports: [DeliveryJobs] })
export class DeliveryModule {
  static readonly migrations: readonly Migration[] = [CreateDeliveryJobs1765000000200];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'delivery_jobs', endedAt: 'coalesce(done_at, expires_at)' },
  ];
}
