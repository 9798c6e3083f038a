import { readStoredStream } from '@backchannel/event-store';
import { authRequestStreamId, timelineEntry } from '@backchannel/events';
import type { ExitCode, OpsContext } from '../ops-context.js';

export const TIMELINE_HELP = `usage: ops timeline <auth_req_id | request_id | stream id> [--json]

One request's events in order: time, version, type, actor, causation, and the facts that matter
(who approved, on which device, with what evidence, which tokens by id, each delivery's outcome).
An auth_req_id is looked up by its hash, never stored; sealed values (tokens, notification
secrets) never print. Exit code 1 when nothing is found.`;

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
