import { type JWK, verifyCheckpointSignature } from '@backchannel/crypto';
import {
  type StreamHead,
  checkpointDigest,
  currentHashes,
  readCheckpoints,
  uncoveredEvents,
} from '@backchannel/event-store';
import type { OpsContext } from '../ops-context.js';

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
  context: OpsContext,
  pinnedKey: string | null,
  onlyStream: string | null,
): Promise<CheckpointVerification> {
  const checkpoints = await readCheckpoints(context.sql);
  const keys = new Map(
    (await context.sql<{ kid: string; public_jwk: JWK }>(`SELECT kid, public_jwk FROM audit_keys`, [])).map((row) => [
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
    for (const head of await changedHeads(context, heads)) {
      breaks.push({ checkpoint: checkpoint.id, streamId: head.streamId, version: head.version, reason: head.reason });
    }
  }
  return {
    checkpoints: checkpoints.length,
    auditKeys: [...new Set(checkpoints.map((checkpoint) => checkpoint.kid))],
    breaks,
    uncoveredEvents: await uncoveredEvents(context.sql, checkpoints.at(-1) ?? null),
  };
}

const BATCH = 1_000;

async function changedHeads(context: OpsContext, heads: StreamHead[]) {
  const changed: (StreamHead & { reason: string })[] = [];
  for (let start = 0; start < heads.length; start += BATCH) {
    const batch = heads.slice(start, start + BATCH);
    const current = await currentHashes(context.sql, batch);
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
