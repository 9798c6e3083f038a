import { type StoredSigningKey, generateAuditKey, openAuditKey, signCheckpointDigest } from '@backchannel/crypto';
import {
  type RunSql,
  checkpointDigest,
  nextCheckpointStatement,
  readCheckpoints,
  saveCheckpoint,
} from '@backchannel/event-store';
import type { JWK } from '@backchannel/crypto';
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

/** The newest audit key, or a new one when there is none. */
async function auditKey(sql: RunSql, kek: Uint8Array): Promise<StoredSigningKey> {
  const [row] = await sql<{ kid: string; public_jwk: JWK; private_jwk_encrypted: string }>(
    `SELECT kid, public_jwk, private_jwk_encrypted FROM audit_keys ORDER BY created_at DESC LIMIT 1`,
    [],
  );
  if (row) {
    return { kid: row.kid, alg: 'ES256', publicJwk: row.public_jwk, sealedPrivateJwk: row.private_jwk_encrypted };
  }
  const created = await generateAuditKey(kek);
  await sql(`INSERT INTO audit_keys (kid, public_jwk, private_jwk_encrypted) VALUES ($1, $2, $3)`, [
    created.kid,
    JSON.stringify(created.publicJwk),
    created.sealedPrivateJwk,
  ]);
  return created;
}

export async function checkpoint(context: OpsContext, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const kek = keyEncryptionKey(env);
  const made = await context.transaction(async (sql) => {
    // one checkpointer at a time, so each chains to the one before
    await sql(`SELECT pg_advisory_xact_lock(hashtextextended('audit-checkpoint', 0))`, []);
    const stored = await auditKey(sql, kek);
    const previous = (await readCheckpoints(sql)).at(-1) ?? null;
    const statement = await nextCheckpointStatement(sql, previous);
    if (statement === null) return null;
    const digest = checkpointDigest(statement);
    const signature = await signCheckpointDigest(await openAuditKey(stored, kek), digest);
    await saveCheckpoint(sql, statement, { digest, kid: stored.kid, signature }, new Date());
    return { upTo: statement.upTo, streams: statement.heads.length, digest, auditKey: stored.kid };
  });
  if (context.json) context.out(JSON.stringify(made ?? { upTo: null }));
  else if (made === null) context.out('nothing was written since the last checkpoint');
  else context.out(`checkpoint ${made.digest} over ${made.streams} streams, signed by audit key ${made.auditKey}`);
  return 0;
}
