import { makeAuditCheckpoint } from '@backchannel/crypto';
import { type ExitCode, type OpsContext, UsageError } from '../ops-context.js';

export const CHECKPOINT_HELP = `usage: ops checkpoint [--json]   (BACKCHANNEL_KEY_ENCRYPTION_KEY opens the audit key)

Signs the log's head: the last event of every stream written since the previous checkpoint,
chained to that checkpoint, signed with the audit key (created on first use, its private half
sealed with the key-encryption key; its kid is the SHA-256 thumbprint of its public key, to pin
with ops verify --audit-key). Run it on a schedule (a Kubernetes CronJob, cron) and on demand.
Someone who can write the database but not read the key-encryption key cannot re-sign a changed
history, so ops verify finds even a stream re-hashed from end to end.`;

function keyEncryptionKey(env: NodeJS.ProcessEnv): Uint8Array {
  const encoded = env.BACKCHANNEL_KEY_ENCRYPTION_KEY ?? '';
  if (!/^[A-Za-z0-9_-]{43}$/.test(encoded)) {
    throw new UsageError('BACKCHANNEL_KEY_ENCRYPTION_KEY must be set: it opens the audit key.');
  }
  return new Uint8Array(Buffer.from(encoded, 'base64url'));
}

export async function checkpoint(context: OpsContext, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const kek = keyEncryptionKey(env);
  const made = await makeAuditCheckpoint(context.transaction, kek, new Date());
  if (context.json) context.out(JSON.stringify(made ?? { upTo: null }));
  else if (made === null) context.out('nothing was written since the last checkpoint');
  else context.out(`checkpoint ${made.digest} over ${made.streams} streams, signed by audit key ${made.auditKey}`);
  return 0;
}
