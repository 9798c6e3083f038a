import { type RecordedEvent, Topics, topicForStream } from '@backchannel/events';
import { SpanKind, inSpan, linksToEvents } from '@backchannel/observability';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CompressionTypes, type Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { GlobalLogSubscription, type LogBatch, type LogSubscriber } from './global-log.subscription.js';
import { KafkaConnection } from './kafka.connection.js';
import { type EventMessage, toEventMessage } from './recorded-event.codec.js';
import type { BackoffOptions } from './retry-backoff.js';

/** The relay's checkpoint row (subscription_checkpoints) and lock name, unless its options name another. */
export const OUTBOX_RELAY_SUBSCRIPTION = 'outbox-relay';

export interface OutboxRelayOptions {
  /** The checkpoint row and lock name (default OUTBOX_RELAY_SUBSCRIPTION): one active relay per name. */
  subscription?: string;
  /** Events read from the log and produced at once (default 500). */
  batchSize?: number;
  /** Compression of the produced batches (default none: on a busy host gzip costs more CPU than it saves). */
  compression?: 'none' | 'gzip';
  /**
   * Largest produce request, in bytes of keys and values (default 512 KiB): a batch of events is
   * sent in as many requests as it takes, one after the other. The broker refuses a record batch
   * above its message.max.bytes (1 MiB by default), and a refused batch would stall the relay.
   */
  maxRequestBytes?: number;
  /** Longest wait for new events when no notification arrives (default 1 s). */
  pollIntervalMs?: number;
  /** How often a standby relay tries to take over (default 2 s). */
  lockRetryIntervalMs?: number;
  /** Between attempts while Kafka or PostgreSQL is unavailable (default 200 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Partitions of the topics the relay creates when missing (default 3). */
  partitions?: number;
  /** Replication factor of the topics the relay creates when missing (default 1). */
  replicationFactor?: number;
  /** Whether it creates missing topics at all (default true; false where topics are managed elsewhere). */
  createTopics?: boolean;
}

export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');

/**
 * The event store is the outbox: the relay tails the global log and produces every event to its
 * topic, keyed by stream id, then checkpoints. The checkpoint moves only after Kafka acknowledged
 * the whole batch (acks from all in-sync replicas), so while Kafka is down events wait in the
 * store; a batch produced but not checkpointed before a crash is produced again (at-least-once:
 * consumers deduplicate by event id).
 */
@Injectable()
export class OutboxRelay implements LogSubscriber, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subscription: GlobalLogSubscription;
  private readonly partitions: number;
  private readonly replicationFactor: number;
  private readonly createTopics: boolean;
  private readonly compression: CompressionTypes;
  private readonly maxRequestBytes: number;
  private producer: Producer | null = null;

  constructor(
    dataSource: DataSource,
    private readonly kafka: KafkaConnection,
    @Inject(OUTBOX_RELAY_OPTIONS) options: OutboxRelayOptions = {},
  ) {
    this.partitions = options.partitions ?? 3;
    this.replicationFactor = options.replicationFactor ?? 1;
    this.createTopics = options.createTopics ?? true;
    this.compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
    this.subscription = new GlobalLogSubscription(dataSource, this, {
      subscription: options.subscription ?? OUTBOX_RELAY_SUBSCRIPTION,
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      lockRetryIntervalMs: options.lockRetryIntervalMs ?? 2_000,
      backoff: options.backoff ?? { initialDelayMs: 200, maxDelayMs: 30_000 },
    });
  }

  /** Starts tailing in the background: as the active relay once it holds the lock, else as a standby. */
  async start(): Promise<void> {
    this.subscription.start();
  }

  /** Finishes the batch in hand, releases the lock and disconnects. */
  async stop(): Promise<void> {
    await this.subscription.stop();
  }

  isActive(): boolean {
    return this.subscription.isActive();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  /** Before the DataSource closes (TypeORM closes it in the shutdown hooks). */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Creates the topics when missing (a relay racing to create one too gets TOPIC_ALREADY_EXISTS, which kafkajs tolerates). */
  async activate(): Promise<void> {
    if (!this.createTopics) return;
    const admin = await this.kafka.connectAdmin();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = Object.values(Topics).filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: this.partitions,
          replicationFactor: this.replicationFactor,
        })),
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** One producer span per batch, linked to the spans that recorded its events (each its request's trace). */
  handleBatch({ events }: LogBatch): Promise<void> {
    return inSpan('relay publish', { kind: SpanKind.PRODUCER, links: linksToEvents(events) }, () =>
      this.publish(events),
    );
  }

  private async publish(events: RecordedEvent[]): Promise<void> {
    this.producer ??= await this.kafka.connectProducer();
    try {
      for (const request of produceRequests(events, this.maxRequestBytes)) {
        await this.producer.sendBatch({ acks: -1, compression: this.compression, topicMessages: request });
      }
    } catch (error) {
      // A fresh producer id restarts the sequence numbers, so re-sending a batch that was partly
      // written yields duplicates (tolerated) instead of an out-of-order rejection.
      await this.disconnectProducer();
      throw error;
    }
  }

  deactivate(): Promise<void> {
    return this.disconnectProducer();
  }

  private async disconnectProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }
}

/**
 * The events as produce requests of at most `maxBytes` of keys and values each (an event larger
 * than that goes alone), in log order, so sending them one after the other keeps every stream in order.
 */
export function produceRequests(events: RecordedEvent[], maxBytes: number) {
  const requests: Map<string, EventMessage[]>[] = [];
  let request = new Map<string, EventMessage[]>();
  let bytes = 0;
  for (const event of events) {
    const message = toEventMessage(event);
    const size = Buffer.byteLength(message.key) + Buffer.byteLength(message.value);
    if (bytes > 0 && bytes + size > maxBytes) {
      requests.push(request);
      request = new Map();
      bytes = 0;
    }
    const topic = topicForStream(event.streamId);
    const messages = request.get(topic) ?? [];
    messages.push(message);
    request.set(topic, messages);
    bytes += size;
  }
  if (bytes > 0) requests.push(request);
  return requests.map((byTopic) => [...byTopic].map(([topic, messages]) => ({ topic, messages })));
}
