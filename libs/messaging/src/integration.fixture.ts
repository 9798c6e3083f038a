import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

/** Integration-test support: settings from the environment, polling, Kafka helpers, a private broker. */

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

export function sharedBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

/** Polls `condition` until it holds; fails with `description` after `timeoutMs`. */
export async function eventually(
  description: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${description}`);
    await sleep(50);
  }
}

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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  await new Promise((closed) => server.close(closed));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const kafkaScript = fileURLToPath(new URL('../../../deploy/kafka/kafka.sh', import.meta.url));

/**
 * A broker of its own (deploy/kafka/kafka.sh on free ports, data in a temporary folder), for tests
 * that stop and restart Kafka: the shared broker on 9092 must never be stopped.
 */
export class PrivateKafkaBroker {
  private constructor(
    private readonly home: string,
    private readonly port: number,
    private readonly controllerPort: number,
  ) {}

  static async start(): Promise<PrivateKafkaBroker> {
    const broker = new PrivateKafkaBroker(
      await mkdtemp(join(tmpdir(), 'messaging-kafka-')),
      await freePort(),
      await freePort(),
    );
    await broker.run('start');
    return broker;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  stop(): Promise<void> {
    return this.run('stop');
  }

  /** Ends the broker with SIGKILL, as a crash would: nothing is flushed or handed over. */
  async crash(): Promise<void> {
    const pid = Number((await readFile(join(this.home, 'kafka.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
  }

  /** Starts again on the same data. */
  resume(): Promise<void> {
    return this.run('resume');
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.home, { recursive: true, force: true });
  }

  private async run(command: 'start' | 'stop' | 'resume'): Promise<void> {
    await promisify(execFile)('bash', [kafkaScript, command], {
      env: {
        ...process.env,
        KAFKA_HOME: this.home,
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      },
    });
  }
}
