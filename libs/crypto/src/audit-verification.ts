import {
  type ChainBreak,
  ChainVerifier,
  type RunSql,
  type StreamHead,
  checkpointDigest,
  currentHashes,
  readCheckpoints,
  readStoredEventsAfter,
  readStoredStream,
  uncoveredEvents,
} from '@backchannel/event-store';
import type { JWK } from 'jose';
import { verifyCheckpointSignature } from './audit-signature.js';

/** Which streams to verify: one, those written in a time range (whole), or all. */
export type VerifyScope = { stream: string } | { from: Date; to: Date } | { all: true };

export interface LogVerification {
  events: number;
  streams: number;
  breaks: ChainBreak[];
  checkpoints: CheckpointVerification;
}

const PAGE = 5_000;
const STREAM_PAGE = 500;

const STREAMS_WRITTEN_BETWEEN = `
  SELECT DISTINCT stream_id FROM events WHERE recorded_at >= $1 AND recorded_at < $2 AND stream_id > $3
  ORDER BY stream_id LIMIT $4`;

/**
 * Re-computes the hash chains of the streams in scope, a page at a time (constant memory), then
 * checks the signed checkpoints (verifyCheckpoints): what `ops verify` prints and the admin console shows.
 */
export async function verifyLog(
  run: RunSql,
  scope: VerifyScope,
  pinnedKey: string | null,
  progress: (events: number, streams: number) => void = () => undefined,
): Promise<LogVerification> {
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
    progress(events, streams);
  };
  if ('stream' in scope) {
    check(await readStoredStream(run, scope.stream));
  } else if ('from' in scope) {
    for (let after = ''; ;) {
      const page = await run<{ stream_id: string }>(STREAMS_WRITTEN_BETWEEN, [
        scope.from,
        scope.to,
        after,
        STREAM_PAGE,
      ]);
      for (const { stream_id } of page) check(await readStoredStream(run, stream_id));
      if (page.length < STREAM_PAGE) break;
      after = page.at(-1)!.stream_id;
    }
  } else {
    for (let after: { streamId: string; streamVersion: number } | null = null; ;) {
      const page = await readStoredEventsAfter(run, after, PAGE);
      check(page);
      if (page.length < PAGE) break;
      const last = page.at(-1)!;
      after = { streamId: last.streamId, streamVersion: last.streamVersion };
    }
  }
  const checkpoints = await verifyCheckpoints(run, pinnedKey, 'stream' in scope ? scope.stream : null);
  return { events, streams, breaks, checkpoints };
}

/** A checkpoint that does not hold, or an event that is no longer what a checkpoint signed. */
export interface CheckpointBreak {
  checkpoint: string;
  streamId?: string;
  version?: number;
  reason: string;
}

export interface CheckpointVerification {
  checkpoints: number;
  /** The audit keys that signed them (kids: SHA-256 thumbprints), to compare with the pinned one. */
  auditKeys: string[];
  breaks: CheckpointBreak[];
  /** Events after the last checkpoint: the chains vouch for them, no signature does yet. */
  uncoveredEvents: number;
}

/**
 * Every signed checkpoint, in order: signed by a known audit key (the pinned one, when given),
 * its statement matching its digest, chained to the one before, and each stream head it signed
 * still in the log with the same hash. `onlyStream`: heads of that stream only.
 */
export async function verifyCheckpoints(
  run: RunSql,
  pinnedKey: string | null,
  onlyStream: string | null,
): Promise<CheckpointVerification> {
  const checkpoints = await readCheckpoints(run);
  const keys = new Map(
    (await run<{ kid: string; public_jwk: JWK }>(`SELECT kid, public_jwk FROM audit_keys`, [])).map((row) => [
      row.kid,
      row.public_jwk,
    ]),
  );
  const breaks: CheckpointBreak[] = [];
  let previousDigest = '';
  for (const checkpoint of checkpoints) {
    const refuse = (reason: string) => breaks.push({ checkpoint: checkpoint.id, reason });
    const publicJwk = keys.get(checkpoint.kid);
    if (pinnedKey !== null && checkpoint.kid !== pinnedKey)
      refuse(`signed by audit key ${checkpoint.kid}, not the pinned one`);
    else if (!publicJwk) refuse('signed by an unknown audit key');
    else if ((await verifyCheckpointSignature(checkpoint.signature, publicJwk)) !== checkpoint.digest) {
      refuse('its signature does not verify');
    } else if (checkpointDigest(checkpoint) !== checkpoint.digest) refuse('its statement does not match its digest');
    else if (checkpoint.previousDigest !== previousDigest) {
      refuse('it is not chained to the checkpoint before it (one is missing or out of order)');
    }
    previousDigest = checkpoint.digest;
    const heads =
      onlyStream === null ? checkpoint.heads : checkpoint.heads.filter((head) => head.streamId === onlyStream);
    for (const head of await changedHeads(run, heads)) {
      breaks.push({ checkpoint: checkpoint.id, streamId: head.streamId, version: head.version, reason: head.reason });
    }
  }
  return {
    checkpoints: checkpoints.length,
    auditKeys: [...new Set(checkpoints.map((checkpoint) => checkpoint.kid))],
    breaks,
    uncoveredEvents: await uncoveredEvents(run, checkpoints.at(-1) ?? null),
  };
}

const BATCH = 1_000;

async function changedHeads(run: RunSql, heads: StreamHead[]) {
  const changed: (StreamHead & { reason: string })[] = [];
  for (let start = 0; start < heads.length; start += BATCH) {
    const batch = heads.slice(start, start + BATCH);
    const current = await currentHashes(run, batch);
    for (const head of batch) {
      const hash = current.get(`${head.streamId}#${head.version}`);
      if (hash === head.hash) continue;
      const reason =
        hash === undefined
          ? 'the event a checkpoint signed is gone'
          : 'the event differs from what a checkpoint signed';
      changed.push({ ...head, reason });
    }
  }
  return changed;
}
