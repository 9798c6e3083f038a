import type { RecordedEvent } from './envelope.js';

/** A timeline entry: the event's envelope and its facts, sealed members left out. */
export interface TimelineEntry {
  at: string;
  version: number;
  type: string;
  actor: string;
  correlationId: string;
  causationId: string | null;
  facts: unknown;
}

/** Members named sealed… hold secrets (JWEs bound to the stream): they never leave the database. */
export function withoutSealed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSealed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([member]) => !/^sealed/i.test(member))
      .map(([member, inner]) => [member, withoutSealed(inner)]),
  );
}

export function timelineEntry(event: RecordedEvent): TimelineEntry {
  return {
    at: event.metadata.occurredAt,
    version: event.streamVersion,
    type: event.type,
    actor: event.metadata.actor,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId ?? null,
    facts: withoutSealed(event.data),
  };
}
