import { type VerifyScope, verifyLog } from '@backchannel/crypto';
import type { ExitCode, OpsContext } from '../ops-context.js';

export const VERIFY_HELP = `usage: ops verify [--stream <stream id> | --from <time> --to <time> | --all] [--audit-key <kid>] [--json]

Re-computes the hash chain of one stream, of every stream with an event recorded from --from
(included) to --to (excluded), whole, or of every stream (the default), and prints each break:
the stream, the first version that does not hold, and why (a changed event, a missing or moved
one, a broken link). Reads the log a page at a time, in constant memory. Then checks the signed
checkpoints (ops checkpoint): each signed by the audit key (--audit-key pins its kid), chained to
the one before, and every stream head it signed still there unchanged, which catches a stream
re-hashed from end to end; it says how many events no checkpoint covers yet. Exit code 1 on any break.`;

export async function verify(context: OpsContext, scope: VerifyScope, pinnedKey: string | null): Promise<ExitCode> {
  const { events, streams, breaks, checkpoints } = await verifyLog(context.sql, scope, pinnedKey, (events, streams) =>
    context.progress(`verified ${events} events in ${streams} streams`),
  );
  context.progress('\n');
  if (context.json) {
    context.out(JSON.stringify({ events, streams, breaks, checkpoints }));
  } else {
    for (const broken of breaks) {
      context.out(`BROKEN ${broken.streamId} at version ${broken.brokenAtVersion}: ${broken.reason}`);
    }
    context.out(
      `${events} events in ${streams} streams verified: ${breaks.length === 0 ? 'no break' : `${breaks.length} broken`}`,
    );
    for (const broken of checkpoints.breaks) {
      const where = broken.streamId ? ` ${broken.streamId} at version ${broken.version}` : '';
      context.out(`BROKEN checkpoint ${broken.checkpoint}${where}: ${broken.reason}`);
    }
    context.out(
      `${checkpoints.checkpoints} signed checkpoints (audit keys: ${checkpoints.auditKeys.join(', ') || 'none'}), ` +
        `${checkpoints.breaks.length === 0 ? 'no break' : `${checkpoints.breaks.length} broken`}; ` +
        `${checkpoints.uncoveredEvents} events not covered by a checkpoint yet`,
    );
  }
  return breaks.length === 0 && checkpoints.breaks.length === 0 ? 0 : 1;
}
