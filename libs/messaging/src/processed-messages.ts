import { type EventStoreTransaction, PostgresEventStore } from '@backchannel/event-store';
import { Injectable } from '@nestjs/common';

/**
 * Eventuate's idempotent consumer: the record that `consumer` processed `messageId` is written in
 * the same transaction as the effect, so a message delivered again (at-least-once) has no second
 * effect, and an effect that fails leaves no record (the message will be processed on redelivery).
 */
@Injectable()
export class ProcessedMessages {
  constructor(private readonly store: PostgresEventStore) {}

  runOnce(
    consumer: string,
    messageId: string,
    effect: (tx: EventStoreTransaction) => Promise<void>,
  ): Promise<'processed' | 'duplicate'> {
    return this.store.transaction(async (tx) => {
      // a concurrent delivery of the same message waits here for the first one's commit, then sees its row
      const recorded = await tx.query(
        `INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)
         ON CONFLICT (consumer, message_id) DO NOTHING RETURNING message_id`,
        [consumer, messageId],
      );
      if (recorded.length === 0) return 'duplicate';
      await effect(tx);
      return 'processed';
    });
  }
}
