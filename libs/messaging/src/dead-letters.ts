import type { FailureKind } from './failure-classification.js';

/** A message that will never be handled, with what is needed to inspect and replay it. */
export interface DeadLetter {
  /** The topic the message was consumed from (the embedded transport: the topic it would be on). */
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

/** Where dead letters go: the dead_letters table, in both modes (DeadLetterStore). */
export abstract class DeadLetters {
  abstract record(letter: DeadLetter): Promise<void>;
}

/** Errors reach handlers as Error instances, or as the plain objects Nest's exception filters make. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return { name: 'Error', message: String(error.message) };
  }
  return { name: typeof error, message: String(error) };
}
