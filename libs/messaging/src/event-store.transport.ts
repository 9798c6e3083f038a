import type { RecordedEvent } from '@backchannel/events';
import { BaseRpcContext, type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { EventBatch, handOver } from './event-batch.js';
import { GlobalLogSubscription, type LogBatch, type LogSubscriber } from './global-log.subscription.js';
import { DeadLetterRedelivery } from './dead-letter.redelivery.js';
import { DeadLetterStore } from './dead-letter.store.js';
import type { EventConsumer } from './event-consumer.js';
import { decodeRecordedEvent, toEventMessage } from './recorded-event.codec.js';
import type { BackoffOptions } from './retry-backoff.js';

export interface EventStoreTransportOptions {
  dataSource: DataSource;
  /** Each has its own checkpoint, like a Kafka consumer group has its own offsets, and is handed its event types only. */
  consumers: readonly EventConsumer[];
  /** Longest wait for new events when no notification arrives (default 1 s). */
  pollIntervalMs?: number;
  /** Events of the log looked at at once (default 100). */
  batchSize?: number;
  /** Before the same events are delivered again after a handler asked for redelivery (default 100 ms doubling to 10 s). */
  backoff?: BackoffOptions;
  /** How often a second process tries to take over (default 2 s). */
  lockRetryIntervalMs?: number;
  /** How often dead letters an operator asked to retry are looked for (default 5 s). */
  deadLetterRetryIntervalMs?: number;
}

/** A consumer group fed by the transport, and the events of the log batch in hand it has finished. */
interface FedGroup {
  consumer: EventConsumer;
  checkpoint: string;
  eventTypes: ReadonlySet<string>;
  finished: Set<string>;
}

/**
 * The embedded mode's transport: no Kafka, the same handlers. One per process reads the event
 * store's global log (one reader, one advisory lock) and fans each batch out to every consumer
 * group: each is handed, as an EventBatch, the events of its types it has not passed, upcast and
 * decoded exactly as from Kafka, and the groups work at the same time. Every group has its own
 * checkpoint (subscription_checkpoints, `event-store-transport:<group>`): a group added later starts
 * from the beginning of the log while the others go on from theirs. The checkpoints move past a batch
 * once every group finished it. A group whose handler asks for redelivery holds the reader at that
 * batch: after a backoff the batch comes again, and each group is handed only the events it has not
 * finished (none, for the groups that were done). An event no upcaster knows goes to the
 * dead_letters table; letters an operator retries are handed again (DeadLetterRedelivery).
 */
export class EventStoreTransport extends Server implements CustomTransportStrategy, LogSubscriber {
  // handlers are awaited here, so their failures reach this transport (as they reach kafkajs)
  override readonly propagatesEventHandlerErrors = true;
  private readonly subscription: GlobalLogSubscription;
  private readonly deadLetters: DeadLetterStore;
  private readonly redelivery: DeadLetterRedelivery;
  private readonly groups: FedGroup[];

  constructor(options: EventStoreTransportOptions) {
    super();
    this.deadLetters = new DeadLetterStore(options.dataSource);
    this.redelivery = new DeadLetterRedelivery(
      this.deadLetters,
      this,
      options.consumers,
      options.deadLetterRetryIntervalMs ?? 5_000,
    );
    this.groups = options.consumers.map((consumer) => ({
      consumer,
      checkpoint: `event-store-transport:${consumer.group}`,
      eventTypes: new Set(consumer.eventTypes),
      finished: new Set<string>(),
    }));
    this.subscription = new GlobalLogSubscription(options.dataSource, this, {
      subscription: 'event-store-transport',
      checkpoints: this.groups.map((group) => group.checkpoint),
      eventTypes: [...new Set(options.consumers.flatMap((consumer) => consumer.eventTypes))],
      batchSize: options.batchSize ?? 100,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      lockRetryIntervalMs: options.lockRetryIntervalMs ?? 2_000,
      backoff: options.backoff ?? { initialDelayMs: 100, maxDelayMs: 10_000 },
    });
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.subscription.start();
    this.redelivery.start();
    callback();
  }

  /** Stops tailing once the batch in hand has been handled. */
  async close(): Promise<void> {
    await this.redelivery.stop();
    await this.subscription.stop();
  }

  on(): never {
    throw new Error('EventStoreTransport emits no events to listen to');
  }

  unwrap<T>(): T {
    throw new Error('EventStoreTransport wraps no broker client');
  }

  async activate(): Promise<void> {}

  async deactivate(): Promise<void> {
    for (const group of this.groups) group.finished.clear();
  }

  async handleBatch(batch: LogBatch): Promise<void> {
    const outcomes = await Promise.allSettled(this.groups.map((group) => this.feed(group, batch)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    for (const group of this.groups) group.finished.clear();
  }

  private async feed(group: FedGroup, logBatch: LogBatch): Promise<void> {
    const events: RecordedEvent[] = [];
    for (const stored of logBatch.newFor(group.checkpoint)) {
      if (!group.eventTypes.has(stored.type) || group.finished.has(stored.eventId)) continue;
      const event = await this.decodeOrDeadLetter(group.consumer, stored);
      if (event) events.push(event);
      else group.finished.add(stored.eventId);
    }
    if (events.length === 0) return;
    const batch = new EventBatch(events);
    try {
      await handOver(this, group.consumer.group, batch, new BaseRpcContext([group.consumer.topic]));
    } finally {
      for (const event of events) if (batch.isDone(event)) group.finished.add(event.eventId);
    }
    // a handler that returns has finished its whole batch
    for (const event of events) group.finished.add(event.eventId);
  }

  /** Only an event no upcaster knows fails to decode: stored events are well-formed. */
  private async decodeOrDeadLetter(consumer: EventConsumer, stored: RecordedEvent): Promise<RecordedEvent | null> {
    try {
      return decodeRecordedEvent(stored);
    } catch (error) {
      await this.deadLetters.record({
        topic: consumer.topic,
        consumerGroup: consumer.group,
        ...toEventMessage(stored),
        kind: 'poison',
        error,
      });
      return null;
    }
  }
}
