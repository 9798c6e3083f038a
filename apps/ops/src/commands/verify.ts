import { type ChainBreak, ChainVerifier, readStoredEventsAfter, readStoredStream } from '@backchannel/event-store';
import type { ExitCode, OpsContext } from '../ops-context.js';

export const VERIFY_HELP = `usage: ops verify [--stream <stream id> | --all] [--json]

Re-computes the hash chain of one stream, or of every stream (the default), and prints each break:
the stream, the first version that does not hold, and why (a changed event, a missing or moved
one, a broken link). Reads the log a page at a time, in constant memory. Exit code 1 on any break.`;

const PAGE = 5_000;

export async function verify(context: OpsContext, streamId: string | null): Promise<ExitCode> {
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
  if (context.json) {
    context.out(JSON.stringify({ events, streams, breaks }));
  } else {
    for (const broken of breaks) {
      context.out(`BROKEN ${broken.streamId} at version ${broken.brokenAtVersion}: ${broken.reason}`);
    }
    context.out(
      `${events} events in ${streams} streams verified: ${breaks.length === 0 ? 'no break' : `${breaks.length} broken`}`,
    );
  }
  return breaks.length === 0 ? 0 : 1;
}
