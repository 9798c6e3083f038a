import type { ProjectedEvent, RebuildableProjection, RunSql } from '@backchannel/event-store';
import type { AuthRequested } from '@backchannel/events';
import { USER_REQUEST_COLUMNS, USER_REQUEST_COLUMN_TYPES, userRequestRow } from './user-requests.repository.js';

/** The PostgreSQL type of each column, for the arrays a page is written with. */
const COLUMN_TYPES: readonly string[] = Object.values(USER_REQUEST_COLUMN_TYPES);

/**
 * user_requests as a function of the log, for `ops rebuild user-requests`: a row per
 * AuthRequested (userRequestRow, as /bc-authorize writes it), answered at the time of the first
 * ConsentGiven or ConsentDenied (as AnswerRecorder marks it). A page is two statements: its new
 * rows, answers of the same page folded in, as one INSERT of arrays (array columns as array
 * literals, which arrays of arrays cannot carry), then the answers to rows of earlier pages as one UPDATE. Rows
 * the retention would prune are rebuilt too, and pruned by its next run.
 */
export const userRequestsProjection: RebuildableProjection = {
  name: 'user-requests',
  table: 'user_requests',
  eventTypes: ['AuthRequested', 'ConsentGiven', 'ConsentDenied'],

  async apply(run: RunSql, table: string, events: ProjectedEvent[]): Promise<void> {
    const added = new Map<string, { row: unknown[]; answeredAt: string | null }>();
    const answeredEarlier = new Map<string, string>();
    for (const event of events) {
      if (event.type === 'AuthRequested') {
        added.set(event.streamId, {
          row: userRequestRow(event as ProjectedEvent & { data: AuthRequested['data'] }),
          answeredAt: null,
        });
        continue;
      }
      const request = added.get(event.streamId);
      if (request) request.answeredAt ??= event.metadata.occurredAt;
      else if (!answeredEarlier.has(event.streamId)) answeredEarlier.set(event.streamId, event.metadata.occurredAt);
    }
    if (added.size > 0) {
      const rows = [...added.values()];
      const columns = USER_REQUEST_COLUMNS.map((_, index) =>
        rows.map(({ row }) =>
          COLUMN_TYPES[index]!.endsWith('[]') ? arrayLiteral(row[index] as string[]) : row[index],
        ),
      );
      const selected = COLUMN_TYPES.map((type, index) => `c${index}::${type}`);
      await run(
        `INSERT INTO ${table} (${USER_REQUEST_COLUMNS.join(', ')}, answered_at)
         SELECT ${selected.join(', ')}, answered_at
           FROM unnest(${COLUMN_TYPES.map((_, index) => `$${index + 1}::text[]`).join(', ')}, $${COLUMN_TYPES.length + 1}::timestamptz[])
             AS page(${COLUMN_TYPES.map((_, index) => `c${index}`).join(', ')}, answered_at)`,
        [...columns, rows.map(({ answeredAt }) => answeredAt)],
      );
    }
    if (answeredEarlier.size > 0) {
      await run(
        `UPDATE ${table} SET answered_at = answer.at
           FROM unnest($1::text[], $2::timestamptz[]) AS answer(stream_id, at)
          WHERE ${table}.stream_id = answer.stream_id AND ${table}.answered_at IS NULL`,
        [[...answeredEarlier.keys()], [...answeredEarlier.values()]],
      );
    }
  },
};

/** PostgreSQL's text form of a text[]: every element quoted, so no value can be read as syntax. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
