import { type RebuildableProjection, rebuildProjection } from '@backchannel/event-store';
import { userRequestsProjection } from '@backchannel/user-requests';
import { type ExitCode, type OpsContext, UsageError } from '../ops-context.js';

/** Every read model that is a function of the log, by the name operators use. */
const PROJECTIONS: readonly RebuildableProjection[] = [userRequestsProjection];

export const REBUILD_HELP = `usage: ops rebuild <projection> [--json]

Rebuilds a read model from the event log into a new table and swaps it in, while the services keep
running: they wait only for the moment of the swap (a table lock), and what they write meanwhile
is in the new table. Prints the events in the log, how many it applied, the rows, and the rate
(events of the log per second).
Projections: ${PROJECTIONS.map((projection) => `${projection.name} (table ${projection.table})`).join(', ')}.`;

export async function rebuild(context: OpsContext, name: string): Promise<ExitCode> {
  const projection = PROJECTIONS.find((candidate) => candidate.name === name);
  if (!projection) throw new UsageError(`no projection '${name}'.`);
  const report = await rebuildProjection(context.dataSource, projection, (applied) =>
    context.progress(`${projection.name}: ${applied} events applied`),
  );
  context.progress('\n');
  const eventsPerSecond = Math.round(report.scanned / report.seconds);
  const appliedPerSecond = Math.round(report.applied / report.seconds);
  if (context.json) {
    context.out(JSON.stringify({ ...report, eventsPerSecond, appliedPerSecond }));
  } else {
    context.out(
      `${report.projection}: ${report.scanned} events in the log (${report.applied} applied) into ${report.rows} rows ` +
        `of ${projection.table} in ${report.seconds.toFixed(2)} s: ${eventsPerSecond} events/s of the log ` +
        `(${appliedPerSecond} applied/s)`,
    );
  }
  return 0;
}
