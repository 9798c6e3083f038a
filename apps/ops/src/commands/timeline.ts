import { readStoredStream } from '@backchannel/event-store';
import { type RecordedEvent, authRequestStreamId } from '@backchannel/events';
import type { ExitCode, OpsContext } from '../ops-context.js';

export const TIMELINE_HELP = `usage: ops timeline <auth_req_id | request_id | stream id> [--json]

One request's events in order: time, version, type, actor, causation, and the facts that matter
(who approved, on which device, with what evidence, which tokens by id, each delivery's outcome).
An auth_req_id is looked up by its hash, never stored; sealed values (tokens, notification
secrets) never print. Exit code 1 when nothing is found.`;

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

/** The stream an identifier names: a stream id as is, a device-facing request_id, else an auth_req_id's hash. */
async function streamOf(context: OpsContext, id: string): Promise<string> {
  const asStream = await context.sql<{ found: number }>(`SELECT 1 AS found FROM events WHERE stream_id = $1 LIMIT 1`, [
    id,
  ]);
  if (asStream.length > 0) return id;
  const asRequest = await context.sql<{ stream_id: string }>(
    `SELECT stream_id FROM user_requests WHERE request_id = $1`,
    [id],
  );
  return asRequest[0]?.stream_id ?? authRequestStreamId(id);
}

export async function timeline(context: OpsContext, id: string): Promise<ExitCode> {
  const streamId = await streamOf(context, id);
  const events = await readStoredStream(context.sql, streamId);
  if (events.length === 0) {
    context.out(context.json ? JSON.stringify({ found: false }) : 'no request or stream has this identifier');
    return 1;
  }
  const entries = events.map(timelineEntry);
  if (context.json) {
    context.out(JSON.stringify({ found: true, streamId, events: entries }));
    return 0;
  }
  context.out(`stream ${streamId}`);
  for (const entry of entries) {
    const cause = entry.causationId ? ` caused by ${entry.causationId}` : '';
    context.out(`${entry.at}  v${entry.version}  ${entry.type}  by ${entry.actor}${cause}`);
    context.out(`    ${JSON.stringify(entry.facts)}`);
  }
  return 0;
}
