import { EventPattern } from '@nestjs/microservices';
import type { Topic } from '@backchannel/events';

/**
 * A consumer group: the topic it reads and the event types it acts on. Its handler is handed those
 * types and no other, by either transport (the Kafka consumer skips the rest by their eventType
 * header; the embedded event-store transport does not read them), and it keeps its own position
 * (its consumer group's offsets, or its own checkpoint in the embedded mode).
 */
export interface EventConsumer<Type extends string = string> {
  group: string;
  topic: Topic | string;
  eventTypes: readonly Type[];
  /** The transport id of this consumer's server: binds its handler to it alone when several run in one process. */
  transportId: symbol;
}

export function eventConsumer<const Type extends string>(
  group: string,
  topic: Topic | string,
  eventTypes: readonly Type[],
): EventConsumer<Type> {
  return { group, topic, eventTypes, transportId: Symbol(group) };
}

/** Marks the method that handles a consumer's events (one per consumer). */
export function ConsumerHandler(consumer: EventConsumer): MethodDecorator {
  return EventPattern(consumer.topic, consumer.transportId) as MethodDecorator;
}
