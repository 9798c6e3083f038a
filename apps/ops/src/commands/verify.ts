import { type ChainBreak, ChainVerifier, readStoredEventsAfter, readStoredStream } from '@backchannel/event-store';
import type { ExitCode, OpsContext } from '../ops-context.js';
import { verifyCheckpoints } from './checkpoint-verification.js';

export const VERIFY_HELP = `usage: ops verify [--stream <stream id> | --from <time> --to <time> | --all] [--audit-key <kid>] [--json]

Re-computes the hash chain of one stream, of every stream with an event recorded from --from
(included) to --to (excluded), whole, or of every stream (the default), and prints each break:
the stream, the first version that does not hold, and why (a changed event, a missing or moved
one, a broken link). Reads the log a page at a time, in constant memory. Then checks the signed
checkpoints (ops checkpoint): each signed by the audit key (--audit-key pins its kid), chained to
the one before, and every stream head it signed still there unchanged, which catches a stream
re-hashed from end to end; it says how many events no checkpoint covers yet. Exit code 1 on any break.`;

const PAGE = 5_000;

/** Which streams to verify: one, those written in a time range, or all. */
export type VerifyScope = { stream: string } | { from: Date; to: Date } | { all: true };

const STREAMS_WRITTEN_BETWEEN = `
  SELECT DISTINCT stream_id FROM events WHERE recorded_at >= $1 AND recorded_at < $2 AND stream_id > $3
  ORDER BY stream_id LIMIT $4`;

export async function verify(context: OpsContext, scope: VerifyScope, pinnedKey: string | null): Promise<ExitCode> {
  const streamId = 'stream' in scope ? scope.stream : null;
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
  } else if ('from' in scope) {
    for (let after = ''; ;) {
      const page = await context.sql<{ stream_id: string }>(STREAMS_WRITTEN_BETWEEN, [
        scope.from,
        scope.to,
        after,
        500,
      ]);
      for (const { stream_id } of page) check(await readStoredStream(context.sql, stream_id));
      context.progress(`verified ${events} events in ${streams} streams`);
      if (page.length < 500) break;
      after = page.at(-1)!.stream_id;
    }
    context.progress('\n');
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
