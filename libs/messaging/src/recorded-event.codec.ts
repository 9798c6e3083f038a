import { type RecordedEvent, upcast } from '@backchannel/events';
import { z } from 'zod';

/** Headers of every event message (Debezium's outbox convention), readable without parsing the value. */
export const EventHeaders = {
  eventId: 'eventId',
  eventType: 'eventType',
  schemaVersion: 'schemaVersion',
  correlationId: 'correlationId',
  /** W3C trace context, the header name every tracer reads. */
  traceparent: 'traceparent',
  /** The data members left out of the message (credentials), comma-separated; absent when none. */
  withheld: 'withheld',
} as const;

/**
 * Members of an event's data that hold a credential (a client secret's digest, or the secret
 * sealed for client_secret_jwt): the client registry in PostgreSQL needs them, nothing that reads
 * a message does, so they never leave the store. A message without them no longer matches its
 * `hash`: the hash chain is verified against the store (`ops verify`), never from Kafka.
 */
const CREDENTIAL_MEMBERS: readonly string[] = ['secretSha256', 'sealedSecret'];

export interface EventMessage {
  /** The stream id: one stream's events land on one partition, in order. */
  key: string;
  /** The JSON of the RecordedEvent. */
  value: string;
  headers: Record<string, string>;
}

/** An event as a message leaving the store (Kafka, the in-process transport, dead letters): credentials withheld. */
export function toEventMessage(event: RecordedEvent): EventMessage {
  const data = event.data as Record<string, unknown>;
  const withheld = CREDENTIAL_MEMBERS.filter((member) => Object.hasOwn(data, member));
  const published =
    withheld.length === 0
      ? event
      : { ...event, data: Object.fromEntries(Object.entries(data).filter(([member]) => !withheld.includes(member))) };
  return {
    key: event.streamId,
    value: JSON.stringify(published),
    headers: {
      [EventHeaders.eventId]: event.eventId,
      [EventHeaders.eventType]: event.type,
      [EventHeaders.schemaVersion]: String(event.schemaVersion),
      [EventHeaders.correlationId]: event.metadata.correlationId,
      ...(event.metadata.traceparent !== undefined && { [EventHeaders.traceparent]: event.metadata.traceparent }),
      ...(withheld.length > 0 && { [EventHeaders.withheld]: withheld.join(',') }),
    },
  };
}

/** A message whose value is not a RecordedEvent: it can never be handled (a poison message). */
export class MalformedEventError extends Error {
  constructor(reason: string) {
    super(`malformed event message: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

const recordedEventSchema = z.object({
  eventId: z.string().min(1),
  type: z.string().min(1),
  schemaVersion: z.int().positive(),
  data: z.unknown(),
  metadata: z.object({
    correlationId: z.string(),
    causationId: z.string().optional(),
    actor: z.string(),
    occurredAt: z.string(),
    traceparent: z.string().optional(),
  }),
  streamId: z.string().min(1),
  streamVersion: z.int().positive(),
  globalPosition: z.string().regex(/^[0-9]+$/),
  recordedAt: z.string(),
  previousHash: z.string(),
  hash: z.string(),
});

/**
 * Turns a message value (raw bytes, text, or JSON already parsed by the transport) into a
 * RecordedEvent at the current schema version of its type. Throws MalformedEventError or
 * UnknownEventVersionError, both poison.
 */
export function decodeRecordedEvent(value: unknown): RecordedEvent {
  const parsed = recordedEventSchema.safeParse(
    typeof value === 'object' && !Buffer.isBuffer(value) ? value : parseJson(value),
  );
  if (!parsed.success) throw new MalformedEventError(z.prettifyError(parsed.error));
  return upcast<RecordedEvent>(parsed.data as RecordedEvent);
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw new MalformedEventError(`a ${typeof value} value`);
  try {
    return JSON.parse(value.toString());
  } catch {
    throw new MalformedEventError('the value is not JSON');
  }
}
