import type { JWK } from '@backchannel/crypto';
import type { ExitCode, OpsContext } from '../ops-context.js';

export const AUDIT_KEYS_HELP = `usage: ops audit-keys [--json]

The public halves of the audit keys that sign checkpoints, as a JWK Set (each key's kid is the
SHA-256 thumbprint ops verify --audit-key pins): to keep outside the database, so that a checkpoint
can be checked by anyone, with any JOSE library, without trusting the database's copy.`;

export async function auditKeys(context: OpsContext): Promise<ExitCode> {
  const rows = await context.sql<{ kid: string; public_jwk: JWK }>(
    `SELECT kid, public_jwk FROM audit_keys ORDER BY created_at`,
    [],
  );
  const keys = rows.map((row) => ({ ...row.public_jwk, kid: row.kid, use: 'sig', alg: 'ES256' }));
  context.out(JSON.stringify({ keys }, null, context.json ? undefined : 2));
  return rows.length > 0 ? 0 : 1;
}
