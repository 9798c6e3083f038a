import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { ClientRegistry, type RegistrationContext } from '@backchannel/clients';
import { DeviceRegistry, UserDirectory } from '@backchannel/directory';

export interface DemoCredentials {
  /** The demo client; null under the FAPI-CIBA profile, where no client has a secret to print. */
  client: { clientId: string; clientSecret: string } | null;
  subject: string;
  loginHint: string;
  deviceToken: string;
}

/**
 * A demo user with a device and a demo poll client, created on the first start of the embedded
 * profile so the printed curl lines work at once. Their secrets are kept in the data folder
 * (a development convenience of this profile only).
 */
export async function seedDemo(app: INestApplication, dataDir: string, fapiCiba: boolean): Promise<DemoCredentials> {
  const file = path.join(dataDir, 'demo.json');
  if (existsSync(file)) {
    const stored = JSON.parse(await readFile(file, 'utf8')) as StoredDemo;
    // data folders seeded before the subject was recorded hold alice too; before the client was optional, its fields
    const client =
      stored.client ?? (stored.clientId ? { clientId: stored.clientId, clientSecret: stored.clientSecret! } : null);
    return { ...stored, client: fapiCiba ? null : client, subject: stored.subject ?? 'alice' } as DemoCredentials;
  }

  const context = { actor: 'system:embedded', correlationId: 'embedded-demo-seed', now: new Date() };
  const client = fapiCiba ? null : await registerDemoClient(app.get(ClientRegistry), context);
  const users = app.get(UserDirectory);
  const existing = await users.findBySubject('alice');
  if (!existing) {
    await users.createUser({ sub: 'alice', username: 'alice', email: 'alice@example.com', name: 'Alice' }, context);
  }
  const device = await app
    .get(DeviceRegistry)
    .registerDevice('alice', { name: 'Demo phone' }, 'device_token', { channel: 'device-api', context: () => context });
  const demo: DemoCredentials = {
    client,
    subject: 'alice',
    loginHint: 'alice@example.com',
    deviceToken: device.deviceToken,
  };
  await writeFile(file, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}

/** demo.json as earlier versions wrote it too (the client's fields at the top level). */
type StoredDemo = Partial<DemoCredentials> & { clientId?: string; clientSecret?: string };

/** A poll client with a secret, so the printed curl lines need nothing but the shell. */
async function registerDemoClient(
  registry: ClientRegistry,
  context: RegistrationContext,
): Promise<{ clientId: string; clientSecret: string }> {
  const { client, clientSecret } = await registry.register(
    {
      client_name: 'Demo client',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['urn:openid:params:grant-type:ciba'],
      scope: 'openid profile email',
      backchannel_token_delivery_mode: 'poll',
    },
    context,
  );
  if (clientSecret === null) throw new Error('a client_secret_basic client is given a secret');
  return { clientId: client.clientId, clientSecret };
}
