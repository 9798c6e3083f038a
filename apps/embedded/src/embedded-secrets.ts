import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { INITIAL_KEY_ENCRYPTION_KEY_ID } from '@backchannel/config';

export interface EmbeddedSecrets {
  adminToken: string;
  /** As BACKCHANNEL_KEY_ENCRYPTION_KEYS reads it: kid:key pairs, the sealing key last. */
  keyEncryptionKeys: string;
}

/** What a secrets file holds; one written before key rings kept a single `keyEncryptionKey`. */
type StoredSecrets = Partial<EmbeddedSecrets> & { keyEncryptionKey?: string };

/** A single key as a ring of one, under the kid the configuration gives it. */
function ringOf(key: string | undefined): string | undefined {
  return key === undefined ? undefined : `${INITIAL_KEY_ENCRYPTION_KEY_ID}:${key}`;
}

/**
 * The embedded profile's admin token and key-encryption keys: taken from the environment when
 * set (BACKCHANNEL_KEY_ENCRYPTION_KEYS, or a single BACKCHANNEL_KEY_ENCRYPTION_KEY), otherwise
 * generated on first start and kept (mode 0600) in the data folder, so signing keys and the admin
 * token survive restarts.
 */
export async function loadOrCreateSecrets(dataDir: string, env: NodeJS.ProcessEnv): Promise<EmbeddedSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  const stored: StoredSecrets = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
  const secrets: EmbeddedSecrets = {
    adminToken: env.BACKCHANNEL_ADMIN_TOKEN ?? stored.adminToken ?? randomBytes(32).toString('base64url'),
    keyEncryptionKeys:
      env.BACKCHANNEL_KEY_ENCRYPTION_KEYS ??
      ringOf(env.BACKCHANNEL_KEY_ENCRYPTION_KEY) ??
      stored.keyEncryptionKeys ??
      ringOf(stored.keyEncryptionKey) ??
      ringOf(randomBytes(32).toString('base64url'))!,
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
