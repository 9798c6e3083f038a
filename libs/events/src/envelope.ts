/**
 * The shape every event and command shares: plain data, no classes, no framework types.
 * `type` and `schemaVersion` identify the payload; a published shape is never edited in place:
 * a new `schemaVersion` and an upcaster (see upcasters.ts) replace it (the store upcasts on read).
 */
export interface EventMetadata {
  /** The id of the HTTP request or message that started the chain of work. */
  correlationId: string;
  /** The eventId (or request id) that directly caused this event. */
  causationId?: string;
  /** Who did it: `client:<client_id>`, `user:<sub>`, `device:<device_id>`, `admin`, `system:<service>`. */
  actor: string;
  /** ISO-8601 instant at which the deciding command ran (the command's clock, not the database's). */
  occurredAt: string;
  /**
   * The W3C trace context of the span that recorded it, when tracing is on: what handles the
   * event continues that trace, so one CIBA request is one trace across the services.
   */
  traceparent?: string;
}

export interface Event<Type extends string = string, Data = unknown> {
  eventId: string;
  type: Type;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
}

/** What the store adds to an event when it records it. */
export interface RecordedEventPosition {
  streamId: string;
  /** 1-based position of the event within its stream. */
  streamVersion: number;
  /** Position in the global log (a decimal string: PostgreSQL bigint). */
  globalPosition: string;
  /** ISO-8601 instant at which PostgreSQL recorded it. */
  recordedAt: string;
  /** Hash of the previous event in the stream ('' for the first) and of this one (hex SHA-256). */
  previousHash: string;
  hash: string;
}

/**
 * An event as read back from the store (or a Kafka message carrying one). Distributes over a
 * union, so `RecordedEvent<AuthRequestEvent>` still narrows its `data` by `type`.
 */
export type RecordedEvent<E extends Event = Event> = E extends Event ? E & RecordedEventPosition : never;
