import { upcast } from '@backchannel/events';
import type { DataSource } from 'typeorm';
import type { LogCheckpoint } from './event-store.js';
import { type ProjectedEvent, readEventsOfTypes } from './events.table.js';
import { type RunSql, poolSql, queryRunnerSql } from './sql.js';

/**
 * A read model that is a pure function of the log: what `ops rebuild` can rebuild. Its owner
 * declares it beside the table (e.g. libs/user-requests), with the same mapping its live writes use.
 */
export interface RebuildableProjection {
  /** What operators call it: `ops rebuild <name>`. */
  name: string;
  table: string;
  eventTypes: readonly string[];
  /**
   * Writes the effects of `events` (upcast, in log order, only `eventTypes`) to `table`, a copy of
   * the live table's shape: called a page at a time, so a page may answer what an earlier one made.
   */
  apply(run: RunSql, table: string, events: ProjectedEvent[]): Promise<void>;
}

export interface RebuildReport {
  projection: string;
  /** Events in the log, and of them the projection's (each read and applied). */
  scanned: number;
  applied: number;
  rows: number;
  seconds: number;
}

const PAGE = 10_000;

/**
 * Rebuilds a projection from the log into a new table and swaps it in while the services keep
 * writing the live one:
 * 1. `<table>_rebuild`, shaped like the table (columns, defaults, constraints, indexes), is filled
 *    from the projection's events a page at a time (the next read while one is written), as far
 *    as the log is surely complete (the tail's xmin rule);
 * 2. one transaction takes the live table's ACCESS EXCLUSIVE lock, which waits for the writers
 *    that touched it and holds back the others (the services write it in the transactions that
 *    append the events, so none of their events can commit meanwhile), applies every event
 *    committed since (1), drops the live table and renames the new one and its indexes in its
 *    place. Writers held back then resolve the name again and write the new table.
 * Readers wait for the moment of the swap only.
 */
export async function rebuildProjection(
  dataSource: DataSource,
  projection: RebuildableProjection,
  progress: (applied: number) => void = () => undefined,
): Promise<RebuildReport> {
  const began = performance.now();
  const run = poolSql(dataSource);
  const { table, eventTypes } = projection;
  const shadow = `${table}_rebuild`;
  await run(`DROP TABLE IF EXISTS ${shadow}`, []);
  await run(`CREATE TABLE ${shadow} (LIKE ${table} INCLUDING ALL)`, []);
  let checkpoint: LogCheckpoint = { transactionId: '0', globalPosition: '0' };
  let applied = 0;
  // the next page is read while this one is written (two connections)
  let reading = readEventsOfTypes(run, checkpoint, PAGE, eventTypes, true);
  for (;;) {
    const page = await reading;
    const more = page.events.length === PAGE;
    if (more) reading = readEventsOfTypes(run, page.checkpoint, PAGE, eventTypes, true);
    await projection.apply(run, shadow, page.events.map(upcastEvent));
    applied += page.events.length;
    checkpoint = page.checkpoint;
    progress(applied);
    if (!more) break;
  }
  const { rows, scanned } = await dataSource.transaction(async (manager) => {
    const tx = queryRunnerSql(manager.queryRunner!);
    const indexes = await indexPairs(tx, table, shadow);
    await tx(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`, []);
    for (;;) {
      const page = await readEventsOfTypes(tx, checkpoint, PAGE, eventTypes, false);
      if (page.events.length === 0) break;
      await projection.apply(tx, shadow, page.events.map(upcastEvent));
      applied += page.events.length;
      checkpoint = page.checkpoint;
    }
    await tx(`DROP TABLE ${table}`, []);
    await tx(`ALTER TABLE ${shadow} RENAME TO ${table}`, []);
    for (const { live, rebuilt } of indexes) await tx(`ALTER INDEX ${rebuilt} RENAME TO ${live}`, []);
    const [counted] = await tx<{ rows: number; scanned: number }>(
      `SELECT (SELECT count(*)::int FROM ${table}) AS rows, (SELECT count(*)::int FROM events) AS scanned`,
      [],
    );
    return counted!;
  });
  return { projection: projection.name, scanned, applied, rows, seconds: (performance.now() - began) / 1_000 };
}

function upcastEvent(event: ProjectedEvent): ProjectedEvent {
  return upcast<ProjectedEvent>(event);
}

/**
 * The live table's indexes and their copies on the new table, matched by definition (LIKE names
 * the copies itself), so each copy takes its original's name at the swap.
 */
async function indexPairs(run: RunSql, table: string, shadow: string): Promise<{ live: string; rebuilt: string }[]> {
  const indexes = await run<{ tablename: string; indexname: string; indexdef: string }>(
    `SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename IN ($1, $2)`,
    [table, shadow],
  );
  const shapeOf = (index: { tablename: string; indexname: string; indexdef: string }) =>
    index.indexdef.replace(`INDEX ${index.indexname} ON`, 'INDEX ON').replace(`.${index.tablename} `, '. ');
  const rebuilt = new Map(indexes.filter((index) => index.tablename === shadow).map((i) => [shapeOf(i), i.indexname]));
  return indexes
    .filter((index) => index.tablename === table)
    .map((index) => {
      const copy = rebuilt.get(shapeOf(index));
      if (copy === undefined) throw new Error(`no copy of index ${index.indexname} on ${shadow}`);
      return { live: index.indexname, rebuilt: copy };
    });
}
