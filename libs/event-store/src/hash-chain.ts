import { createHash } from 'node:crypto';
import type { RecordedEvent } from '@backchannel/events';

/** Everything an event's hash covers: its content, its place in the stream and its predecessor. */
export interface EventHashInput {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  previousHash: string;
}

export type ChainVerification =
  { valid: true; length: number } | { valid: false; brokenAtVersion: number; reason: string };

/**
 * The value as jsonb gives it back: undefined members dropped, dates as strings, and so on. Hashes
 * are computed over this, so a hash computed before the insert matches the one recomputed on read.
 */
export function asStoredJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** JSON with object keys sorted recursively (by UTF-16 code units) and no whitespace, as RFC 8785. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const members = Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of the hashed fields (only those), values as jsonb stores them. */
export function eventHash(input: EventHashInput): string {
  const { streamId, streamVersion, eventId, type, schemaVersion, data, metadata, previousHash } = input;
  const hashed = { streamId, streamVersion, eventId, type, schemaVersion, data, metadata, previousHash };
  return createHash('sha256')
    .update(canonicalJson(asStoredJson(hashed)), 'utf8')
    .digest('hex');
}

/**
 * The canonical JSON of an event split around the two values only the database knows when an
 * append with expected version 'any' (or a multi-event append) runs: the hashed text is
 * `head + previousHash + middle + streamVersion + tail`. Lets one INSERT compute the chain.
 */
export interface EventHashTemplate {
  head: string;
  middle: string;
  tail: string;
}

function members(fields: Record<string, unknown>): string {
  return canonicalJson(fields).slice(1, -1);
}

/** The template of an event whose values are already as jsonb stores them (asStoredJson: the append's copy). */
export function eventHashTemplate(input: Omit<EventHashInput, 'previousHash' | 'streamVersion'>): EventHashTemplate {
  // The hashed keys in sorted order: data, eventId, metadata, previousHash, schemaVersion,
  // streamId, streamVersion, type (hash-chain.spec.ts checks this against canonicalJson).
  const { data, eventId, metadata, schemaVersion, streamId, type } = input;
  return {
    head: `{${members({ data, eventId, metadata })},"previousHash":"`,
    middle: `",${members({ schemaVersion, streamId })},"streamVersion":`,
    tail: `,${members({ type })}}`,
  };
}

/** Where a chain is broken, and how. */
export interface ChainBreak {
  streamId: string;
  brokenAtVersion: number;
  reason: string;
}

/**
 * Checks hash chains one event at a time, streams one after another (events in stream, then
 * version order), in constant memory: versions 1..n, each linked to its predecessor, each hash
 * intact. A stream's first break is reported; its later events are not judged again.
 */
export class ChainVerifier {
  private streamId: string | null = null;
  private expectedVersion = 1;
  private previousHash = '';
  private broken = false;

  check(event: RecordedEvent): ChainBreak | null {
    if (event.streamId !== this.streamId) {
      this.streamId = event.streamId;
      this.expectedVersion = 1;
      this.previousHash = '';
      this.broken = false;
    }
    if (this.broken) return null;
    const version = this.expectedVersion++;
    const reason =
      event.streamVersion !== version
        ? `found version ${event.streamVersion} at position ${version}`
        : event.previousHash !== this.previousHash
          ? 'previous hash does not match the preceding event'
          : eventHash(event) !== event.hash
            ? 'hash does not match the content'
            : null;
    this.previousHash = event.hash;
    if (reason === null) return null;
    this.broken = true;
    return { streamId: event.streamId, brokenAtVersion: version, reason };
  }
}

/** Checks one stream's events, in the order given (see ChainVerifier). */
export function verifyChain(events: RecordedEvent[]): ChainVerification {
  const verifier = new ChainVerifier();
  for (const event of events) {
    const broken = verifier.check(event);
    if (broken) return { valid: false, brokenAtVersion: broken.brokenAtVersion, reason: broken.reason };
  }
  return { valid: true, length: events.length };
}
