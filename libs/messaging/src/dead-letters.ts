import { deadLetterTopic } from '@backchannel/events';
import type { FailureKind } from './failure-classification.js';

/** A message that will never be handled, with what is needed to inspect and replay it. */
export interface DeadLetter {
  /** The topic the message was consumed from. */
  topic: string;
  consumerGroup: string;
  key: string | null;
  value: string | Buffer | null;
  /** The message's own headers, kept as they were. */
  headers: Record<string, string | Buffer>;
  kind: Exclude<FailureKind, 'transient'>;
  error: unknown;
  /** Where the message sat, when the transport knows it. */
  partition?: number;
  offset?: string;
}

/** The headers added to a dead letter, beside the message's own. */
export const DeadLetterHeaders = {
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  failureKind: 'dlq-failure-kind',
  errorName: 'dlq-error-name',
  errorMessage: 'dlq-error-message',
  failedAt: 'dlq-failed-at',
} as const;

/** Where dead letters go: a Kafka topic per consumer group, or a table in the embedded mode. */
export abstract class DeadLetters {
  abstract record(letter: DeadLetter): Promise<void>;
}

/** The Kafka message for a dead letter: same key, value and headers, plus the failure's headers. */
export function deadLetterRecord(letter: DeadLetter, failedAt: Date = new Date()) {
  const { name, message } = describeError(letter.error);
  const failureHeaders: Record<string, string> = {
    [DeadLetterHeaders.originalTopic]: letter.topic,
    [DeadLetterHeaders.consumerGroup]: letter.consumerGroup,
    [DeadLetterHeaders.failureKind]: letter.kind,
    [DeadLetterHeaders.errorName]: name,
    [DeadLetterHeaders.errorMessage]: message,
    [DeadLetterHeaders.failedAt]: failedAt.toISOString(),
  };
  if (letter.partition !== undefined) failureHeaders[DeadLetterHeaders.originalPartition] = String(letter.partition);
  if (letter.offset !== undefined) failureHeaders[DeadLetterHeaders.originalOffset] = letter.offset;
  return {
    topic: deadLetterTopic(letter.topic, letter.consumerGroup),
    messages: [{ key: letter.key, value: letter.value, headers: { ...letter.headers, ...failureHeaders } }],
  };
}

/** Errors reach handlers as Error instances, or as the plain objects Nest's exception filters make. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return { name: 'Error', message: String(error.message) };
  }
  return { name: typeof error, message: String(error) };
}
