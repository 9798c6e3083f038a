import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/** Integration-test support: settings from the environment, polling, Kafka helpers (a private broker: @backchannel/testing). */

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

export function sharedBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

export { eventually } from '@backchannel/testing';

export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'messaging-int-spec', brokers, logLevel: logLevel.NOTHING });
}

export async function createTopics(brokers: string[], topics: string[], numPartitions = 3): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions })) });
  } finally {
    await admin.disconnect();
  }
}

export interface ReceivedMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** A plain kafkajs consumer (its own group, from the beginning) collecting every message of `topic`. */
export async function collectMessages(brokers: string[], topic: string) {
  const messages: ReceivedMessage[] = [];
  const consumer = testKafka(brokers).consumer({ groupId: `collector-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
      });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}
