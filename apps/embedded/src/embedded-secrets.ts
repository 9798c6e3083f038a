import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedSecrets {
  adminToken: string;
  keyEncryptionKey: string;
}

/**
 * The embedded profile's admin token and key-encryption key: taken from the environment when
 * set, otherwise generated on first start and kept (mode 0600) in the data folder, so signing
 * keys and the admin token survive restarts.
 */
export async function loadOrCreateSecrets(dataDir: string, env: NodeJS.ProcessEnv): Promise<EmbeddedSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  const stored: Partial<EmbeddedSecrets> = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
  const secrets: EmbeddedSecrets = {
    adminToken: env.BACKCHANNEL_ADMIN_TOKEN ?? stored.adminToken ?? randomBytes(32).toString('base64url'),
    keyEncryptionKey:
      env.BACKCHANNEL_KEY_ENCRYPTION_KEY ?? stored.keyEncryptionKey ?? randomBytes(32).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
