import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { type EventConsumer, OUTBOX_RELAY_SUBSCRIPTION } from '@backchannel/messaging';
import { waitFor } from './service-process.js';

/** How far behind the relay and the consumer groups were when the wait began, and how long they took. */
export interface DeliveryCatchUp {
  /** Events stored by then that the relay had not checkpointed past. */
  relayBehind: number;
  /** Messages on the topic by then, by consumer group, past the group's committed offsets. */
  groupsBehind: Record<string, number>;
  caughtUpMs: number;
}

/** Stored events at or before the head (transaction id, position) that the relay's checkpoint has not passed. */
const RELAY_BEHIND = `
  SELECT count(*)::int AS behind FROM events e
   WHERE (e.transaction_id, e.global_position) <= ($1::xid8, $2::bigint)
     AND NOT EXISTS (SELECT 1 FROM subscription_checkpoints c WHERE c.subscription = $3
                        AND (c.transaction_id, c.global_position) >= (e.transaction_id, e.global_position))`;

/**
 * Waits, bounded, until every event stored by now has reached each consumer group: first until
 * the relay's checkpoint is at or past the head of the log as it is now (all of it is on Kafka),
 * then until each group's committed offsets are at or past the end offsets of its topic as they
 * are then (a group commits past the messages it skips, so its offsets say it saw every one).
 * The load goes on meanwhile: what it stores later is the next wait's business.
 */
export async function waitUntilEveryEventConsumed(
  databaseUrl: string,
  brokers: string[],
  consumers: readonly EventConsumer[],
  timeoutMs = 60_000,
): Promise<DeliveryCatchUp> {
  const started = Date.now();
  const database = new pg.Client({ connectionString: databaseUrl });
  const admin = new Kafka({ clientId: 'e2e-event-delivery', brokers, logLevel: logLevel.NOTHING }).admin();
  await Promise.all([database.connect(), admin.connect()]);
  try {
    const { rows: heads } = await database.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text, global_position::text FROM events
        ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    const head = heads[0];
    const relayBehindNow = async () => {
      if (head === undefined) return 0;
      const { rows } = await database.query<{ behind: number }>(RELAY_BEHIND, [
        head.transaction_id,
        head.global_position,
        OUTBOX_RELAY_SUBSCRIPTION,
      ]);
      return rows[0]!.behind;
    };
    const relayBehind = await relayBehindNow();
    await waitFor(
      'the relay to pass the head of the log',
      async () => ((await relayBehindNow()) === 0 ? true : undefined),
      timeoutMs,
      250,
    );

    const topics = [...new Set(consumers.map((consumer) => consumer.topic))];
    const ends = new Map(
      await Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const)),
    );
    const groupBehindNow = async ({ group, topic }: EventConsumer) => {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const offsetOf = new Map(committed!.partitions.map(({ partition, offset }) => [partition, Number(offset)]));
      // a partition the group never committed on (-1) is behind by all its messages
      return ends
        .get(topic)!
        .reduce(
          (behind, { partition, high, low }) =>
            behind + Math.max(0, Number(high) - Math.max(offsetOf.get(partition) ?? -1, Number(low))),
          0,
        );
    };
    const groupsBehind = Object.fromEntries(
      await Promise.all(consumers.map(async (consumer) => [consumer.group, await groupBehindNow(consumer)] as const)),
    );
    await waitFor(
      `every consumer group (${consumers.map((consumer) => consumer.group).join(', ')}) to commit past the end of its topic`,
      async () =>
        (await Promise.all(consumers.map(groupBehindNow))).every((behind) => behind === 0) ? true : undefined,
      timeoutMs,
      250,
    );
    return { relayBehind, groupsBehind, caughtUpMs: Date.now() - started };
  } finally {
    await Promise.allSettled([database.end(), admin.disconnect()]);
  }
}
