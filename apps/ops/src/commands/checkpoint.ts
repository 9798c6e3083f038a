import { keyEncryptionKeysFromEnvironment } from '@backchannel/config';
import { makeAuditCheckpoint } from '@backchannel/crypto';
import { type ExitCode, type OpsContext, settingOf } from '../ops-context.js';

export const CHECKPOINT_HELP = `usage: ops checkpoint [--json]   (BACKCHANNEL_KEY_ENCRYPTION_KEY or _KEYS opens the audit key)

Signs the log's head: the last event of every stream written since the previous checkpoint,
chained to that checkpoint, signed with the audit key (created on first use, its private half
sealed with the newest key-encryption key; its kid is the SHA-256 thumbprint of its public key, to pin
with ops verify --audit-key). Run it on a schedule (a Kubernetes CronJob, cron) and on demand.
Someone who can write the database but not read the key-encryption key cannot re-sign a changed
history, so ops verify finds even a stream re-hashed from end to end.`;

export async function checkpoint(context: OpsContext, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const keys = settingOf(keyEncryptionKeysFromEnvironment, env, 'The key-encryption keys open the audit key.');
  const made = await makeAuditCheckpoint(context.transaction, keys, new Date());
  if (context.json) context.out(JSON.stringify(made ?? { upTo: null }));
  else if (made === null) context.out('nothing was written since the last checkpoint');
  else context.out(`checkpoint ${made.digest} over ${made.streams} streams, signed by audit key ${made.auditKey}`);
  return 0;
}
