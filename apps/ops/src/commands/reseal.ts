import { keyEncryptionKeysFromEnvironment } from '@backchannel/config';
import { KeyRing, PayloadSealer, SealedPayloadError } from '@backchannel/crypto';
import { type ExitCode, type OpsContext, settingOf } from '../ops-context.js';

/** A column of a table whose values are sealed with the key-encryption keys. */
export interface SealedColumn {
  table: string;
  /** The primary key, by which each value is written back. */
  id: string;
  column: string;
  /** For a JSON column: the member that holds the sealed value. */
  member?: string;
  /** With the key-encryption keys themselves (private keys), or PayloadSealer's keys derived from them. */
  sealedWith: 'key-encryption-keys' | 'payload-sealer';
}

/** Every value at rest sealed with the key-encryption keys (ops-reseal.int-spec.ts checks none is missing). */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'signing_keys', id: 'kid', column: 'private_jwk_encrypted', sealedWith: 'key-encryption-keys' },
  { table: 'audit_keys', id: 'kid', column: 'private_jwk_encrypted', sealedWith: 'key-encryption-keys' },
  { table: 'clients', id: 'client_id', column: 'sealed_secret', sealedWith: 'payload-sealer' },
  { table: 'vapid_keys', id: 'id', column: 'sealed_private_key', sealedWith: 'payload-sealer' },
  { table: 'shreddable_keys', id: 'key_id', column: 'sealed_key', sealedWith: 'payload-sealer' },
  {
    table: 'device_channels',
    id: 'device_id',
    column: 'settings',
    member: 'sealedSecret',
    sealedWith: 'payload-sealer',
  },
];

/**
 * Values sealed with keys no ring holds, derived from a secret only a client keeps (its
 * auth_req_id): nothing to re-seal, and short-lived (ops-reseal.int-spec.ts checks them too).
 */
export const CLIENT_KEYED_COLUMNS: readonly Pick<SealedColumn, 'table' | 'column'>[] = [
  { table: 'issued_responses', column: 'sealed_response' },
];

export const RESEAL_HELP = `usage: ops reseal [--json]   (BACKCHANNEL_KEY_ENCRYPTION_KEYS: the ring, the sealing key last)

Seals again, under the newest key-encryption key, every value the tables keep sealed under an older
one: the private halves of the token signing keys and of the audit keys, client_secret_jwt clients'
secrets, the VAPID private key, webhook devices' secrets and the data keys of pushed tokens not yet
delivered. Each value is opened with the key its seal names and written back only if it did not
change meanwhile, so it is safe beside running services and may be run again. A value no key of the ring opens is left as it is and named; the exit
code is then 1.

Values sealed inside events are not re-sealed: the event log is hash-chained and never rewritten
(AuthRequested's auth_req_id and notification token, TokensIssued's pushed tokens before data keys
of their own, ClientRegistered's
and ClientUpdated's client_secret_jwt secrets). Keep an older key in the ring as long as such events
are needed: a request's until its expiry and the deliveries after it are over, and for dead letters
still to retry (docs/deploying.md, "Keys").`;

interface TableReport {
  resealed: number;
  current: number;
  changedMeanwhile: number;
  failed: { id: string; error: string }[];
}

export async function reseal(context: OpsContext, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const keyEncryptionKeys = settingOf(keyEncryptionKeysFromEnvironment, env, 'The key ring opens and seals again.');
  const resealers = {
    'key-encryption-keys': new KeyRing(keyEncryptionKeys),
    'payload-sealer': new PayloadSealer({ keyEncryptionKeys }),
  };
  const tables: Record<string, TableReport> = {};
  for (const sealed of SEALED_COLUMNS) {
    tables[`${sealed.table}.${sealed.member ?? sealed.column}`] = await resealColumn(
      context,
      sealed,
      resealers[sealed.sealedWith],
    );
  }
  const newestKid = keyEncryptionKeys.at(-1)!.kid;
  const failed = Object.values(tables).some((report) => report.failed.length > 0);
  if (context.json) {
    context.out(JSON.stringify({ newestKid, tables }));
  } else {
    context.out(`sealing key-encryption key: ${newestKid}`);
    for (const [name, report] of Object.entries(tables)) {
      context.out(
        `${name}: ${report.resealed} re-sealed, ${report.current} already current` +
          (report.changedMeanwhile > 0 ? `, ${report.changedMeanwhile} changed meanwhile (run again)` : '') +
          (report.failed.length > 0 ? `, ${report.failed.length} not opened` : ''),
      );
      for (const { id, error } of report.failed) context.out(`  ${id}: ${error}`);
    }
  }
  return failed ? 1 : 0;
}

async function resealColumn(
  context: OpsContext,
  sealed: SealedColumn,
  resealer: Pick<KeyRing, 'reseal'>,
): Promise<TableReport> {
  // identifiers from SEALED_COLUMNS only, never from input
  const value = sealed.member === undefined ? sealed.column : `${sealed.column}->>'${sealed.member}'`;
  const written =
    sealed.member === undefined ? '$2::text' : `jsonb_set(${sealed.column}, '{${sealed.member}}', to_jsonb($2::text))`;
  const rows = await context.sql<{ id: string; sealed: string }>(
    `SELECT ${sealed.id}::text AS id, ${value} AS sealed FROM ${sealed.table} WHERE ${value} IS NOT NULL ORDER BY 1`,
    [],
  );
  const report: TableReport = { resealed: 0, current: 0, changedMeanwhile: 0, failed: [] };
  for (const row of rows) {
    let resealed: string | null;
    try {
      resealed = await resealer.reseal(row.sealed);
    } catch (error) {
      if (!(error instanceof SealedPayloadError)) throw error;
      report.failed.push({ id: row.id, error: error.message });
      continue;
    }
    if (resealed === null) {
      report.current += 1;
      continue;
    }
    // compare-and-set: a value a service replaced meanwhile is left to it
    const updated = await context.sql(
      `UPDATE ${sealed.table} SET ${sealed.column} = ${written}
       WHERE ${sealed.id}::text = $1 AND ${value} = $3 RETURNING 1`,
      [row.id, resealed, row.sealed],
    );
    if (updated.length > 0) report.resealed += 1;
    else report.changedMeanwhile += 1;
  }
  return report;
}
