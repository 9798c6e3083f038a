import type { ProjectedEvent, RebuildableProjection, RunSql } from '@backchannel/event-store';
import type { AuthRequested, ConsentDenied, DenialReason } from '@backchannel/events';
import { USER_REQUEST_COLUMNS, USER_REQUEST_COLUMN_TYPES, userRequestRow } from './user-requests.repository.js';

/** When the user answered, and why they refused (null when they approved). */
interface Answer {
  at: string;
  denial: DenialReason | null;
}

/** The PostgreSQL type of each column, for the arrays a page is written with. */
const COLUMN_TYPES: readonly string[] = Object.values(USER_REQUEST_COLUMN_TYPES);

/**
 * user_requests as a function of the log, for `ops rebuild user-requests`: a row per
 * AuthRequested (userRequestRow, as /bc-authorize writes it), answered at the time of the first
 * ConsentGiven or ConsentDenied, with the denial's reason (as AnswerRecorder marks it). Blocks
 * after "this wasn't me" (client_blocks) are not rebuilt: a user may have lifted them. A page is two statements: its new
 * rows, answers of the same page folded in, as one INSERT of arrays (array columns as array
 * literals, which arrays of arrays cannot carry), then the answers to rows of earlier pages as one UPDATE. Rows
 * the retention would prune are rebuilt too, and pruned by its next run.
 */
export const userRequestsProjection: RebuildableProjection = {
  name: 'user-requests',
  table: 'user_requests',
  eventTypes: ['AuthRequested', 'ConsentGiven', 'ConsentDenied'],

  async apply(run: RunSql, table: string, events: ProjectedEvent[]): Promise<void> {
    const added = new Map<string, { row: unknown[]; answer: Answer | null }>();
    const answeredEarlier = new Map<string, Answer>();
    for (const event of events) {
      if (event.type === 'AuthRequested') {
        added.set(event.streamId, {
          row: userRequestRow(event as ProjectedEvent & { data: AuthRequested['data'] }),
          answer: null,
        });
        continue;
      }
      // the first answer is the one that counts, as AnswerRecorder marks it
      const answer: Answer = {
        at: event.metadata.occurredAt,
        denial: event.type === 'ConsentDenied' ? (event.data as ConsentDenied['data']).reason : null,
      };
      const request = added.get(event.streamId);
      if (request) request.answer ??= answer;
      else if (!answeredEarlier.has(event.streamId)) answeredEarlier.set(event.streamId, answer);
    }
    if (added.size > 0) {
      const rows = [...added.values()];
      const columns = USER_REQUEST_COLUMNS.map((_, index) =>
        rows.map(({ row }) =>
          COLUMN_TYPES[index]!.endsWith('[]') ? arrayLiteral(row[index] as string[]) : row[index],
        ),
      );
      const selected = COLUMN_TYPES.map((type, index) => `c${index}::${type}`);
      const answerAt = COLUMN_TYPES.length + 1;
      await run(
        `INSERT INTO ${table} (${USER_REQUEST_COLUMNS.join(', ')}, answered_at, denial)
         SELECT ${selected.join(', ')}, answered_at, denial
           FROM unnest(${COLUMN_TYPES.map((_, index) => `$${index + 1}::text[]`).join(', ')}, $${answerAt}::timestamptz[], $${answerAt + 1}::text[])
             AS page(${COLUMN_TYPES.map((_, index) => `c${index}`).join(', ')}, answered_at, denial)`,
        [...columns, rows.map(({ answer }) => answer?.at ?? null), rows.map(({ answer }) => answer?.denial ?? null)],
      );
    }
    if (answeredEarlier.size > 0) {
      const answers = [...answeredEarlier.values()];
      await run(
        `UPDATE ${table} SET answered_at = answer.at, denial = answer.denial
           FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS answer(stream_id, at, denial)
          WHERE ${table}.stream_id = answer.stream_id AND ${table}.answered_at IS NULL`,
        [[...answeredEarlier.keys()], answers.map(({ at }) => at), answers.map(({ denial }) => denial)],
      );
    }
  },
};

/** PostgreSQL's text form of a text[]: every element quoted, so no value can be read as syntax. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
