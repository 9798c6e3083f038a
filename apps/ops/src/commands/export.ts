import { type RecordedEvent, withoutSealed } from '@backchannel/events';
import { readStoredEventsBetween } from '@backchannel/event-store';
import { type ExitCode, type OpsContext, UsageError } from '../ops-context.js';

export const EXPORT_HELP = `usage: ops export --from <time> --to <time> [--client <client_id>] [--user <sub>]

The events recorded from --from (included) to --to (excluded), ISO-8601 times, as JSON lines on
stdout, one event each in log order: its envelope, its hash chain links, and its data with the
sealed values (tokens, notification secrets) left out. --client and --user keep the events of the
requests that client made, or that were made to that user. Reads a page at a time: constant
memory, however long the range.`;

const PAGE = 2_000;

/** A time option, ISO-8601. */
export function instant(name: string, value: unknown): Date {
  const parsed = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(parsed.getTime())) throw new UsageError(`--${name} must be an ISO-8601 time.`);
  return parsed;
}

/** One exported line: everything an auditor needs to re-check the event, no secret. */
export function exportedLine(event: RecordedEvent): string {
  return JSON.stringify({ ...event, data: withoutSealed(event.data) });
}

export async function exportEvents(
  context: OpsContext,
  options: { from?: unknown; to?: unknown; client?: unknown; user?: unknown },
): Promise<ExitCode> {
  const from = instant('from', options.from);
  const to = instant('to', options.to);
  const filter = {
    clientId: typeof options.client === 'string' ? options.client : null,
    subject: typeof options.user === 'string' ? options.user : null,
  };
  let exported = 0;
  for (let after = '0'; ;) {
    const page = await readStoredEventsBetween(context.sql, { from, to, after, ...filter }, PAGE);
    for (const event of page) context.out(exportedLine(event));
    exported += page.length;
    context.progress(`exported ${exported} events`);
    if (page.length < PAGE) break;
    after = page.at(-1)!.globalPosition;
  }
  context.progress('\n');
  return 0;
}
