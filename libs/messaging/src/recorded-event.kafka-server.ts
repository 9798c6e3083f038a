import type { RecordedEvent } from '@backchannel/events';
import { BaseRpcContext, type KafkaOptions, type MicroserviceOptions, ServerKafka } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Batch,
  type Consumer,
  type EachBatchPayload,
  type KafkaConfig,
  type KafkaMessage,
  logLevel,
  Partitioners,
} from 'kafkajs';
import { DeadLetterRedelivery } from './dead-letter.redelivery.js';
import type { DeadLetterStore } from './dead-letter.store.js';
import { EventBatch, handOver } from './event-batch.js';
import type { EventConsumer } from './event-consumer.js';
import type { ConsumerHealth } from './consumer-health.js';
import { classifyFailure } from './failure-classification.js';
import { kafkaConsumerLag } from './messaging.metrics.js';
import { EventHeaders, decodeRecordedEvent } from './recorded-event.codec.js';
import { backoffDelay } from './retry-backoff.js';

/** kafkajs' session timeout when none is set. */
const KAFKAJS_SESSION_TIMEOUT_MS = 30_000;

/** Subscription attempts at start while a topic is still being created (about a minute in all). */
const SUBSCRIBE_ATTEMPTS = 20;

/**
 * Nest's Kafka server for one consumer, taking the topic's messages a batch per partition
 * (kafkajs' eachBatch) and handing the consumer's handler an EventBatch, plus two duties no handler
 * can take: a message of an event type the consumer does not act on is skipped by its eventType
 * header, undecoded; and a message that does not decode into a RecordedEvent (malformed, or a
 * version no upcaster knows) is dead-lettered (the dead_letters table), and letters an operator
 * retries are handed to the handler again (DeadLetterRedelivery). Offsets are resolved
 * up to the first event the handler did not finish; when it asks for redelivery (EventHandlerRunner)
 * those are committed, kafkajs fetches again from there, and the events that were finished beyond
 * that point are remembered and not handed again.
 */
class RecordedEventKafkaServer extends ServerKafka {
  private readonly consumerGroup: string;
  private readonly consumerTopic: string;
  private readonly eventTypes: ReadonlySet<string>;
  /** Per partition, offsets finished after the first unfinished one of a batch that asked for redelivery. */
  private readonly finishedAhead = new Map<string, Set<string>>();
  private readonly redelivery: DeadLetterRedelivery;

  constructor(
    options: Required<KafkaOptions>['options'],
    consumer: EventConsumer,
    private readonly deadLetters: DeadLetterStore,
    deadLetterRetryIntervalMs: number,
    private readonly health?: { watcher: ConsumerHealth; sessionTimeoutMs: number },
  ) {
    super(options);
    this.consumerGroup = consumer.group;
    this.consumerTopic = consumer.topic;
    this.eventTypes = new Set(consumer.eventTypes);
    this.redelivery = new DeadLetterRedelivery(deadLetters, this, [consumer], deadLetterRetryIntervalMs);
  }

  override async listen(callback: (error?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    await super.listen((error?: unknown, ...rest: unknown[]) => {
      if (!error) this.redelivery.start();
      callback(error, ...rest);
    });
  }

  /** Nest's listeners, and the health signal's, attached before the consumer connects. */
  protected override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    if (this.consumer && this.health) this.health.watcher.watch(this.consumer, this.health.sessionTimeoutMs);
  }

  override async close(): Promise<void> {
    await this.redelivery.stop();
    await super.close();
  }

  /**
   * A topic that is being created (first start of a cluster: the relay or the broker's
   * auto-creation is at it) answers "does not host this topic-partition" for a moment; kafkajs marks
   * that retriable, and so does this: the service waits for the topic instead of failing to start.
   */
  override async bindEvents(consumer: Consumer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await consumer.subscribe({ ...this.options.subscribe, topics: [this.consumerTopic] });
        await consumer.run({
          ...this.options.run,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => this.handleKafkaBatch(payload),
        });
        return;
      } catch (error) {
        const retriable = (error as { retriable?: unknown }).retriable === true;
        if (!retriable || attempt >= SUBSCRIBE_ATTEMPTS) throw error;
        this.logger.warn(`${this.consumerGroup}: subscribing, attempt ${attempt}: ${(error as Error).message}`);
        await sleep(backoffDelay(attempt, { initialDelayMs: 200, maxDelayMs: 5_000 }));
      }
    }
  }

  private async handleKafkaBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const partitionKey = `${batch.topic}/${batch.partition}`;
    const finishedBefore = this.finishedAhead.get(partitionKey) ?? new Set<string>();
    const finished = new Set<string>();
    const handed = new Map<RecordedEvent, string>();
    for (const message of batch.messages) {
      const eventType = message.headers?.[EventHeaders.eventType]?.toString();
      // a message without the header is left to decoding, which dead-letters it if it is not an event
      const skipped = eventType !== undefined && !this.eventTypes.has(eventType);
      if (skipped || finishedBefore.has(message.offset)) {
        finished.add(message.offset);
        continue;
      }
      const event = await this.decodeOrDeadLetter(batch, message);
      if (event) handed.set(event, message.offset);
      else finished.add(message.offset);
    }
    const events = new EventBatch([...handed.keys()]);
    try {
      if (events.events.length > 0) {
        await handOver(this, this.consumerGroup, events, new BaseRpcContext([batch.topic]));
      }
      for (const offset of handed.values()) finished.add(offset);
    } finally {
      for (const [event, offset] of handed) if (events.isDone(event)) finished.add(offset);
      this.resolveFinished(batch, finished, resolveOffset);
      kafkaConsumerLag.set(
        { consumer_group: this.consumerGroup, topic: batch.topic, partition: String(batch.partition) },
        Number(batch.offsetLag()),
      );
      await heartbeat();
    }
  }

  /** Resolves the offsets up to the first unfinished message, and remembers those finished beyond it. */
  private resolveFinished(batch: Batch, finished: ReadonlySet<string>, resolveOffset: (offset: string) => void): void {
    const partitionKey = `${batch.topic}/${batch.partition}`;
    const firstUnfinished = batch.messages.findIndex((message) => !finished.has(message.offset));
    const resolvedUpTo = firstUnfinished === -1 ? batch.messages.length : firstUnfinished;
    if (resolvedUpTo > 0) resolveOffset(batch.messages[resolvedUpTo - 1]!.offset);
    const ahead = batch.messages.slice(resolvedUpTo).filter((message) => finished.has(message.offset));
    if (ahead.length > 0) this.finishedAhead.set(partitionKey, new Set(ahead.map((message) => message.offset)));
    else this.finishedAhead.delete(partitionKey);
  }

  private async decodeOrDeadLetter(batch: Batch, message: KafkaMessage): Promise<RecordedEvent | null> {
    try {
      return decodeRecordedEvent(message.value);
    } catch (error) {
      if (classifyFailure(error) !== 'poison') throw error;
      this.logger.error(
        `${this.consumerGroup}: undecodable message at ${batch.topic}/${batch.partition}/${message.offset} dead-lettered`,
      );
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(',') : value]],
        ),
      );
      await this.deadLetters.record({
        topic: batch.topic,
        consumerGroup: this.consumerGroup,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers,
        kind: 'poison',
        error,
        partition: batch.partition,
        offset: message.offset,
      });
      return null;
    }
  }
}

/**
 * Nest microservice options for one consumer over Kafka: a consumer group named exactly
 * `consumer.group` that starts from the earliest offset when new (events published before the
 * group first joined are not skipped), commits offsets only of events the handler finished, and
 * hands its ConsumerHandler EventBatches of RecordedEvents of its event types, upcast. It is a
 * custom strategy around Nest's own Kafka server.
 */
export function kafkaConsumerOptions(options: {
  brokers: string[];
  clientId: string;
  /** TLS and SASL of the connection (kafkajs' own options); absent: plaintext. */
  security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  consumer: EventConsumer;
  /** Partitions worked on at once (default 3): one stream stays on one partition, so they are independent. */
  partitionsConsumedConcurrently?: number;
  /** How long the broker may hold a fetch to fill it (kafkajs' defaults, 1 byte and 5 s, when absent). */
  fetch?: { minBytes: number; maxWaitMs: number };
  /** The group's session, heartbeat and rebalance timings (kafkajs' defaults, 30 s, 3 s and 60 s, when absent). */
  group?: { sessionTimeoutMs: number; heartbeatIntervalMs: number; rebalanceTimeoutMs: number };
  /** Where undecodable messages go, and whose retried letters this consumer hands again. */
  deadLetters: DeadLetterStore;
  /** How often dead letters an operator asked to retry are looked for (default 5 s). */
  deadLetterRetryIntervalMs?: number;
  /** The process's /health/consumer signal, told how this consumer fares. */
  health?: ConsumerHealth;
}): MicroserviceOptions {
  const { fetch, group } = options;
  const server = new RecordedEventKafkaServer(
    {
      postfixId: '',
      client: { brokers: options.brokers, clientId: options.clientId, logLevel: logLevel.WARN, ...options.security },
      consumer: {
        groupId: options.consumer.group,
        ...(fetch && { minBytes: fetch.minBytes, maxWaitTimeInMs: fetch.maxWaitMs }),
        // kafkajs has no static membership (group.instance.id): a restarted replica is a new member
        ...(group && {
          sessionTimeout: group.sessionTimeoutMs,
          heartbeatInterval: group.heartbeatIntervalMs,
          rebalanceTimeout: group.rebalanceTimeoutMs,
        }),
      },
      subscribe: { fromBeginning: true },
      run: { autoCommit: true, partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3 },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
    },
    options.consumer,
    options.deadLetters,
    options.deadLetterRetryIntervalMs ?? 5_000,
    options.health && {
      watcher: options.health,
      sessionTimeoutMs: group?.sessionTimeoutMs ?? KAFKAJS_SESSION_TIMEOUT_MS,
    },
  );
  return { strategy: server };
}
