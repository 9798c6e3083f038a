import {
  type ConsumerDeserializer,
  type IncomingEvent,
  type KafkaOptions,
  type MicroserviceOptions,
  ServerKafka,
} from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, type EachMessagePayload, logLevel, Partitioners } from 'kafkajs';
import { deadLetterRecord } from './dead-letters.js';
import type { EventConsumer } from './event-consumer.js';
import { classifyFailure } from './failure-classification.js';
import { EventHeaders, decodeRecordedEvent } from './recorded-event.codec.js';
import { backoffDelay } from './retry-backoff.js';

/** Subscription attempts at start while a topic is still being created (about a minute in all). */
const SUBSCRIBE_ATTEMPTS = 20;

/** Hands every handler a RecordedEvent at its current schema version, whatever version was published. */
export class RecordedEventDeserializer implements ConsumerDeserializer {
  deserialize(message: { value: unknown }, options?: { channel?: string }): IncomingEvent {
    return { pattern: options?.channel, data: decodeRecordedEvent(message.value) };
  }
}

/**
 * Nest's Kafka server for one consumer, plus two duties no handler can take: a message of an
 * event type the consumer does not act on is skipped by its eventType header, undecoded; and a
 * message that does not decode into a RecordedEvent (malformed, or a version no upcaster knows)
 * goes to the consumer group's dead-letter topic. Both move the offset on. Failures of handlers
 * themselves are theirs to settle (EventHandlerRunner): whatever they throw reaches kafkajs, which
 * does not commit the offset and delivers the message again.
 */
class RecordedEventKafkaServer extends ServerKafka {
  private readonly consumerGroup: string;
  private readonly eventTypes: ReadonlySet<string>;

  constructor(options: Required<KafkaOptions>['options'], consumer: EventConsumer) {
    super(options);
    // its handler is bound to this server only (see ConsumerHandler)
    this.transportId = consumer.transportId;
    this.consumerGroup = consumer.group;
    this.eventTypes = new Set(consumer.eventTypes);
  }

  /**
   * A topic that is being created (first start of a cluster: the relay or the broker's
   * auto-creation is at it) answers "does not host this topic-partition" for a moment; kafkajs marks
   * that retriable, and so does this: the service waits for the topic instead of failing to start.
   */
  override async bindEvents(consumer: Consumer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.bindEvents(consumer);
      } catch (error) {
        const retriable = (error as { retriable?: unknown }).retriable === true;
        if (!retriable || attempt >= SUBSCRIBE_ATTEMPTS) throw error;
        this.logger.warn(`${this.consumerGroup}: subscribing, attempt ${attempt}: ${(error as Error).message}`);
        await sleep(backoffDelay(attempt, { initialDelayMs: 200, maxDelayMs: 5_000 }));
      }
    }
  }

  override async handleMessage(payload: EachMessagePayload): Promise<unknown> {
    const { topic, partition, message } = payload;
    const eventType = message.headers?.[EventHeaders.eventType]?.toString();
    // a message without the header is left to decoding, which dead-letters it if it is not an event
    if (eventType !== undefined && !this.eventTypes.has(eventType)) return undefined;
    try {
      return await super.handleMessage(payload);
    } catch (error) {
      // Only the deserializer's errors arrive here as they were thrown (Nest turns a handler's into
      // an RpcException or a plain object), so poison here means the message did not decode.
      if (classifyFailure(error) !== 'poison') throw error;
      this.logger.error(
        `${this.consumerGroup}: undecodable message at ${topic}/${partition}/${message.offset} dead-lettered`,
      );
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(',') : value]],
        ),
      );
      const record = deadLetterRecord({
        topic,
        consumerGroup: this.consumerGroup,
        key: message.key?.toString() ?? null,
        value: message.value,
        headers,
        kind: 'poison',
        error,
        partition,
        offset: message.offset,
      });
      await this.producer!.send({ ...record, acks: -1 });
    }
  }
}

/**
 * Nest microservice options for one consumer over Kafka: a consumer group named exactly
 * `consumer.group` that starts from the earliest offset when new (events published before the
 * group first joined are not skipped), commits offsets only after the handler returned, and hands
 * its ConsumerHandler RecordedEvents of its event types (see RecordedEventDeserializer). It is a
 * custom strategy around Nest's own Kafka server, so `KafkaContext` works as usual.
 */
export function kafkaConsumerOptions(options: {
  brokers: string[];
  clientId: string;
  consumer: EventConsumer;
}): MicroserviceOptions {
  const server = new RecordedEventKafkaServer(
    {
      postfixId: '',
      client: { brokers: options.brokers, clientId: options.clientId, logLevel: logLevel.WARN },
      consumer: { groupId: options.consumer.group },
      subscribe: { fromBeginning: true },
      // partitions are independent (one stream stays on one partition), so they are handled in parallel
      run: { autoCommit: true, partitionsConsumedConcurrently: 3 },
      producer: { createPartitioner: Partitioners.DefaultPartitioner },
      deserializer: new RecordedEventDeserializer(),
    },
    options.consumer,
  );
  return { strategy: server };
}
