import { EventPattern } from '@nestjs/microservices';
import type { Topic } from '@backchannel/events';

/**
 * A consumer group: the topic it reads and the event types it acts on. Its handler is handed those
 * types and no other, in batches (EventBatch), by either transport (the Kafka consumer skips the
 * rest by their eventType header; the embedded event-store transport does not read them), and it
 * keeps its own position (its consumer group's offsets, or its own checkpoint in the embedded mode).
 */
export interface EventConsumer<Type extends string = string> {
  group: string;
  topic: Topic | string;
  eventTypes: readonly Type[];
}

export function eventConsumer<const Type extends string>(
  group: string,
  topic: Topic | string,
  eventTypes: readonly Type[],
): EventConsumer<Type> {
  return { group, topic, eventTypes };
}

/**
 * Marks the method that handles a consumer's batches (one per consumer). Its pattern is the group,
 * so a transport serving several groups in one process (the embedded one) finds each group's handler.
 */
export function ConsumerHandler(consumer: EventConsumer): MethodDecorator {
  return EventPattern(consumer.group) as MethodDecorator;
}
