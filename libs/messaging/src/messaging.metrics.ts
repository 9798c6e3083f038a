import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { sharedGauge } from '@backchannel/observability';
import { DataSource } from 'typeorm';
import { DeadLetterStore } from './dead-letter.store.js';

/** Set by each Kafka consumer after every batch: messages of the partition not handled yet. */
export const kafkaConsumerLag = sharedGauge({
  name: 'backchannel_kafka_consumer_lag_messages',
  help: 'Messages of a partition after the last one a consumer group handled (from its last fetched batch).',
  labelNames: ['consumer_group', 'topic', 'partition'] as const,
});

/** Lags above this are shown as this: counting further would make a scrape slow when it matters. */
export const LOG_READER_LAG_CAP = 100_000;

/** Each reader of the log (the relay, each embedded consumer group) and the events after its checkpoint. */
export const LOG_READER_LAGS = `
  SELECT c.subscription, c.updated_at, (SELECT count(*) FROM (SELECT 1 FROM events e
      WHERE (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)
      LIMIT ${LOG_READER_LAG_CAP}) AS b)::int AS behind
  FROM subscription_checkpoints c ORDER BY c.subscription`;

/**
 * Gauges read from the database at scrape time: how far each reader of the log (the relay, each
 * embedded consumer group) is behind its head, and the dead letters waiting, by consumer group.
 * A scrape while the database is away shows the last values, never an error.
 */
@Injectable()
export class LogMetrics implements OnModuleInit {
  private readonly logger = new Logger(LogMetrics.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly deadLetters: DeadLetterStore,
  ) {}

  onModuleInit(): void {
    const read = <T>(reading: () => Promise<T>) => this.read(reading);
    const dataSource = this.dataSource;
    const deadLetters = this.deadLetters;
    sharedGauge({
      name: 'backchannel_log_reader_lag_events',
      help: `Events of the log after a reader's checkpoint (the relay, each embedded consumer group), at most ${LOG_READER_LAG_CAP}.`,
      labelNames: ['subscription'] as const,
      async collect() {
        const rows = await read<{ subscription: string; behind: number }[]>(() => dataSource.query(LOG_READER_LAGS));
        for (const row of rows ?? []) this.set({ subscription: row.subscription }, row.behind);
      },
    });
    sharedGauge({
      name: 'backchannel_dead_letters',
      help: 'Dead letters waiting for an operator (ops dead-letters), by consumer group.',
      labelNames: ['consumer_group'] as const,
      async collect() {
        const counts = await read(() => deadLetters.count());
        if (counts) this.reset();
        for (const { consumerGroup, count } of counts ?? []) this.set({ consumer_group: consumerGroup }, count);
      },
    });
  }

  /** A reading, or null while the database is away (the gauge keeps its last values). */
  private async read<T>(reading: () => Promise<T>): Promise<T | null> {
    if (!this.dataSource.isInitialized) return null;
    try {
      return await reading();
    } catch (error) {
      this.logger.warn(`metrics not read: ${(error as Error).message}`);
      return null;
    }
  }
}
