import type { RecordedEvent } from '@backchannel/events';
import { BaseRpcContext, type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { DataSource } from 'typeorm';
import { GlobalLogSubscription, type LogSubscriber } from './global-log.subscription.js';
import { PostgresDeadLetters } from './postgres-dead-letters.js';
import type { EventConsumer } from './event-consumer.js';
import { decodeRecordedEvent, toEventMessage } from './recorded-event.codec.js';
import type { BackoffOptions } from './retry-backoff.js';

export interface EventStoreTransportOptions {
  dataSource: DataSource;
  /** Has its own checkpoint, like a Kafka consumer group has its own offsets, and reads its event types only. */
  consumer: EventConsumer;
  /** Longest wait for new events when no notification arrives (default 1 s). */
  pollIntervalMs?: number;
  /** Events of the log looked at at once (default 100). */
  batchSize?: number;
  /** Before the same events are delivered again after a handler asked for redelivery (default 100 ms doubling to 10 s). */
  backoff?: BackoffOptions;
  /** How often a second process for the same group tries to take over (default 2 s). */
  lockRetryIntervalMs?: number;
}

/**
 * The embedded mode's transport: no Kafka, the same handlers. One runs per consumer: it tails the
 * event store's global log for the consumer's event types and hands each event, upcast and decoded
 * exactly as from Kafka, to the consumer's handler, one at a time in log order (so in order within
 * each stream). The checkpoint (subscription_checkpoints, per consumer group) moves past a batch
 * once every event in it was handled; a handler that throws (EventHandlerRunner asking for
 * redelivery) has its event, and only the events from it on, delivered again after a backoff. An
 * event no upcaster knows goes to the dead_letters table.
 */
export class EventStoreTransport extends Server implements CustomTransportStrategy, LogSubscriber {
  override readonly transportId: symbol;
  // handlers are awaited here, so their failures reach this transport (as they reach kafkajs)
  override readonly propagatesEventHandlerErrors = true;
  private readonly subscription: GlobalLogSubscription;
  private readonly deadLetters: PostgresDeadLetters;
  private readonly consumer: EventConsumer;
  /** Events of the current batch already handled, not delivered again when the batch is retried. */
  private readonly handledInBatch = new Set<string>();

  constructor(options: EventStoreTransportOptions) {
    super();
    this.consumer = options.consumer;
    this.transportId = options.consumer.transportId;
    this.deadLetters = new PostgresDeadLetters(options.dataSource);
    this.subscription = new GlobalLogSubscription(options.dataSource, this, {
      subscription: `event-store-transport:${options.consumer.group}`,
      eventTypes: options.consumer.eventTypes,
      batchSize: options.batchSize ?? 100,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      lockRetryIntervalMs: options.lockRetryIntervalMs ?? 2_000,
      backoff: options.backoff ?? { initialDelayMs: 100, maxDelayMs: 10_000 },
    });
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.subscription.start();
    callback();
  }

  /** Stops tailing once the handler in flight has finished. */
  async close(): Promise<void> {
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
    this.handledInBatch.clear();
  }

  async handleBatch(events: RecordedEvent[], stopped: AbortSignal): Promise<void> {
    for (const event of events) {
      stopped.throwIfAborted();
      if (this.handledInBatch.has(event.eventId)) continue;
      await this.deliver(event);
      this.handledInBatch.add(event.eventId);
    }
    this.handledInBatch.clear();
  }

  private async deliver(stored: RecordedEvent): Promise<void> {
    const { topic } = this.consumer;
    const handler = this.getHandlerByPattern(topic);
    if (!handler) return;
    let event: RecordedEvent;
    try {
      event = decodeRecordedEvent(stored);
    } catch (error) {
      // only an event no upcaster knows fails here: stored events are well-formed
      await this.deadLetters.record({
        topic,
        consumerGroup: this.consumer.group,
        ...toEventMessage(stored),
        kind: 'poison',
        error,
      });
      return;
    }
    const result: unknown = await handler(event, new BaseRpcContext([topic]));
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }
}
