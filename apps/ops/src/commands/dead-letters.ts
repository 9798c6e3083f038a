import { DeadLetterStore, type DeadLetterSelection, EventHeaders } from '@backchannel/messaging';
import { type ExitCode, type OpsContext, UsageError } from '../ops-context.js';

export const DEAD_LETTERS_HELP = `usage: ops dead-letters list [--group <consumer group>] [--limit <n>] [--json]
       ops dead-letters retry   (<id>... | --group <consumer group> | --all) [--json]
       ops dead-letters discard (<id>... | --group <consumer group> | --all) [--json]

Messages a consumer could never handle (a version no upcaster knows, a value that is not an event,
a failure that kept repeating), from both modes: the dead_letters table.
  list      the oldest first (default 50): id, consumer group, event type and id, stream, failure
  retry     asks the service that runs the letter's consumer group to hand it to its handler again
            (within seconds); handled, the letter goes; failing again, it is dead-lettered anew
  discard   deletes the letters for good
retry and discard print the ids they touched; exit code 1 when no letter matched.`;

export interface DeadLetterOptions {
  group?: string | boolean;
  limit?: string | boolean;
  all?: string | boolean;
}

export async function deadLetters(
  context: OpsContext,
  positionals: string[],
  options: DeadLetterOptions,
): Promise<ExitCode> {
  const [action, ...ids] = positionals;
  const store = new DeadLetterStore(context.dataSource);
  const group = typeof options.group === 'string' ? options.group : undefined;
  switch (action) {
    case 'list': {
      if (ids.length > 0 || options.all) throw new UsageError('list takes only --group and --limit.');
      return list(context, store, group, limitOf(options.limit));
    }
    case 'retry':
    case 'discard': {
      const selection = selectionOf(ids, group, options.all === true);
      const touched = action === 'retry' ? await store.requestRetry(selection) : await store.discard(selection);
      if (context.json) context.out(JSON.stringify({ [action === 'retry' ? 'retryRequested' : 'discarded']: touched }));
      else if (touched.length === 0) context.out('no dead letter matched');
      else context.out(`${action === 'retry' ? 'retry requested for' : 'discarded'} ${touched.join(', ')}`);
      return touched.length > 0 ? 0 : 1;
    }
    default:
      throw new UsageError('dead-letters takes list, retry or discard.');
  }
}

async function list(
  context: OpsContext,
  store: DeadLetterStore,
  group: string | undefined,
  limit: number,
): Promise<ExitCode> {
  const letters = await store.list({ consumerGroup: group, limit });
  const shown = letters.map((letter) => ({
    id: letter.id,
    consumerGroup: letter.consumerGroup,
    topic: letter.topic,
    // the message itself may hold an event's data: never printed, the event is in the log
    eventType: letter.headers[EventHeaders.eventType] ?? null,
    eventId: letter.headers[EventHeaders.eventId] ?? null,
    streamId: letter.key,
    source: letter.partition === null ? null : `${letter.topic}/${letter.partition}/${letter.offset}`,
    kind: letter.kind,
    error: `${letter.errorName}: ${letter.errorMessage}`,
    failedAt: letter.failedAt.toISOString(),
    retryRequested: letter.retryRequestedAt !== null,
  }));
  if (context.json) {
    context.out(JSON.stringify({ deadLetters: shown }));
    return 0;
  }
  if (shown.length === 0) context.out('no dead letters');
  for (const letter of shown) {
    const what = letter.eventType ? `${letter.eventType} ${letter.eventId} of ${letter.streamId}` : 'not an event';
    const retry = letter.retryRequested ? '  (retry requested)' : '';
    context.out(
      `${letter.id}  ${letter.failedAt}  ${letter.consumerGroup}  ${what}  ${letter.kind}: ${letter.error}${retry}`,
    );
  }
  return 0;
}

function limitOf(value: string | boolean | undefined): number {
  if (value === undefined) return 50;
  const limit = typeof value === 'string' && /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : NaN;
  if (Number.isNaN(limit)) throw new UsageError('--limit takes a whole number from 1 to 999999.');
  return limit;
}

function selectionOf(ids: string[], group: string | undefined, all: boolean): DeadLetterSelection {
  const given = [ids.length > 0, group !== undefined, all].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give dead letter ids, or --group, or --all (one of them).');
  if (ids.some((id) => !/^[1-9][0-9]{0,17}$/.test(id))) throw new UsageError('a dead letter id is a positive number.');
  if (group !== undefined) return { consumerGroup: group };
  return all ? { all: true } : { ids };
}
