import { type ChainBreak, ChainVerifier, readStoredEventsAfter, readStoredStream } from '@backchannel/event-store';
import type { ExitCode, OpsContext } from '../ops-context.js';
import { verifyCheckpoints } from './checkpoint-verification.js';

export const VERIFY_HELP = `usage: ops verify [--stream <stream id> | --all] [--audit-key <kid>] [--json]

Re-computes the hash chain of one stream, or of every stream (the default), and prints each break:
the stream, the first version that does not hold, and why (a changed event, a missing or moved
one, a broken link). Reads the log a page at a time, in constant memory. Then checks the signed
checkpoints (ops checkpoint): each signed by the audit key (--audit-key pins its kid), chained to
the one before, and every stream head it signed still there unchanged, which catches a stream
re-hashed from end to end; it says how many events no checkpoint covers yet. Exit code 1 on any break.`;

const PAGE = 5_000;

export async function verify(
  context: OpsContext,
  streamId: string | null,
  pinnedKey: string | null,
): Promise<ExitCode> {
  const verifier = new ChainVerifier();
  const breaks: ChainBreak[] = [];
  let events = 0;
  let streams = 0;
  let lastStream: string | null = null;
  const check = (page: Awaited<ReturnType<typeof readStoredStream>>) => {
    for (const event of page) {
      if (event.streamId !== lastStream) {
        streams++;
        lastStream = event.streamId;
      }
      events++;
      const broken = verifier.check(event);
      if (broken) breaks.push(broken);
    }
  };
  if (streamId !== null) {
    check(await readStoredStream(context.sql, streamId));
  } else {
    for (let after: { streamId: string; streamVersion: number } | null = null; ;) {
      const page = await readStoredEventsAfter(context.sql, after, PAGE);
      check(page);
      context.progress(`verified ${events} events in ${streams} streams`);
      if (page.length < PAGE) break;
      const last = page.at(-1)!;
      after = { streamId: last.streamId, streamVersion: last.streamVersion };
    }
    context.progress('\n');
  }
  const checkpoints = await verifyCheckpoints(context, pinnedKey, streamId);
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
