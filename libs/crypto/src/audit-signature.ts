import {
  type LogCheckpoint,
  type RunSql,
  checkpointDigest,
  nextCheckpointStatement,
  readCheckpoints,
  saveCheckpoint,
} from '@backchannel/event-store';
import type { KeyEncryptionKey } from '@backchannel/config';
import { compactVerify, importJWK, type JWK } from 'jose';
import { KeyRing } from './key-ring.js';
import {
  type SigningKey,
  type StoredSigningKey,
  generateSigningKey,
  openSigningKey,
  signCompact,
} from './signing-key.js';

/** The JWS type of a signed audit checkpoint, so no other signature of ours can pass for one. */
const CHECKPOINT_TYP = 'backchannel-checkpoint+jws';

/** A new audit key (ES256), its private half sealed with the newest key-encryption key, as the token keys are. */
export function generateAuditKey(keyRing: KeyRing): Promise<StoredSigningKey> {
  return generateSigningKey('ES256', keyRing);
}

export function openAuditKey(stored: StoredSigningKey, keyRing: KeyRing): Promise<SigningKey> {
  return openSigningKey(stored, keyRing);
}

/** A compact JWS over a checkpoint's digest. */
export function signCheckpointDigest(key: SigningKey, digest: string): string {
  return signCompact(key, CHECKPOINT_TYP, digest);
}

/** The digest a checkpoint signature signs, when it verifies with this public key; null otherwise. */
export async function verifyCheckpointSignature(signature: string, publicJwk: JWK): Promise<string | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(signature, await importJWK(publicJwk, 'ES256'), {
      algorithms: ['ES256'],
    });
    return protectedHeader.typ === CHECKPOINT_TYP ? new TextDecoder().decode(payload) : null;
  } catch {
    return null;
  }
}

/** The newest audit key, or a new one when there is none (run inside makeAuditCheckpoint's lock). */
async function currentAuditKey(sql: RunSql, keyRing: KeyRing): Promise<StoredSigningKey> {
  const [row] = await sql<{ kid: string; public_jwk: JWK; private_jwk_encrypted: string }>(
    `SELECT kid, public_jwk, private_jwk_encrypted FROM audit_keys ORDER BY created_at DESC LIMIT 1`,
    [],
  );
  if (row) {
    return { kid: row.kid, alg: 'ES256', publicJwk: row.public_jwk, sealedPrivateJwk: row.private_jwk_encrypted };
  }
  const created = await generateAuditKey(keyRing);
  await sql(`INSERT INTO audit_keys (kid, public_jwk, private_jwk_encrypted) VALUES ($1, $2, $3)`, [
    created.kid,
    JSON.stringify(created.publicJwk),
    created.sealedPrivateJwk,
  ]);
  return created;
}

export interface MadeCheckpoint {
  upTo: LogCheckpoint;
  streams: number;
  digest: string;
  auditKey: string;
}

/**
 * Signs the log's head (see libs/event-store audit-checkpoints.ts) in one transaction, one
 * checkpointer at a time so that each chains to the one before. Null when nothing was written
 * since the last checkpoint, or (`unlessNewerThan`) when the last one is newer than that: replicas
 * that each run a schedule then make about one checkpoint per period between them.
 */
export async function makeAuditCheckpoint(
  transaction: <T>(work: (sql: RunSql) => Promise<T>) => Promise<T>,
  keyEncryptionKeys: readonly KeyEncryptionKey[],
  now: Date,
  unlessNewerThan: Date | null = null,
): Promise<MadeCheckpoint | null> {
  return transaction(async (sql) => {
    await sql(`SELECT pg_advisory_xact_lock(hashtextextended('audit-checkpoint', 0))`, []);
    const previous = (await readCheckpoints(sql)).at(-1) ?? null;
    if (previous && unlessNewerThan && new Date(previous.createdAt) > unlessNewerThan) return null;
    const statement = await nextCheckpointStatement(sql, previous);
    if (statement === null) return null;
    const keyRing = new KeyRing(keyEncryptionKeys);
    const stored = await currentAuditKey(sql, keyRing);
    const digest = checkpointDigest(statement);
    const signature = await signCheckpointDigest(await openAuditKey(stored, keyRing), digest);
    await saveCheckpoint(sql, statement, { digest, kid: stored.kid, signature }, now);
    return { upTo: statement.upTo, streams: statement.heads.length, digest, auditKey: stored.kid };
  });
}
