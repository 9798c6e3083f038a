import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_KEY_ENCRYPTION_KEY, requireTestEnv } from '@backchannel/testing';
import { type ServiceProcess, freePort, startProcess, waitUntilReady } from './service-process.js';

/** A running Backchannel, seen from outside: its public URL and admin token. */
export interface RunningStack {
  baseUrl: string;
  adminToken: string;
  stop(): Promise<void>;
}

/** Short intervals and expiries so the flows run in seconds. */
const FAST_FLOWS = {
  POLL_INTERVAL_SECONDS: '1',
  AUTH_REQUEST_MIN_EXPIRY_SECONDS: '1',
  AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: '60',
};

function requireBuild(entry: string): string {
  const file = path.resolve('dist', entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does it).`);
  return file;
}

/**
 * The distributed topology: gateway, backchannel, token and notifier, each in its own process,
 * talking through the real Kafka broker and the real PostgreSQL the test command started.
 */
export async function startDistributedStack(): Promise<RunningStack> {
  const [gateway, backchannel, token, notifier] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const adminToken = randomBytes(32).toString('base64url');
  const common = {
    ...FAST_FLOWS,
    BACKCHANNEL_PROFILE: 'test',
    DATABASE_URL: requireTestEnv('DATABASE_URL'),
    KAFKA_BROKERS: requireTestEnv('KAFKA_BROKERS'),
    BACKCHANNEL_ADMIN_TOKEN: adminToken,
    BACKCHANNEL_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    BACKCHANNEL_ISSUER: `http://127.0.0.1:${gateway}`,
  };
  const services: [string, number, NodeJS.ProcessEnv][] = [
    ['backchannel', backchannel, {}],
    ['token', token, {}],
    ['notifier', notifier, {}],
    [
      'gateway',
      gateway,
      {
        BACKCHANNEL_URL: `http://127.0.0.1:${backchannel}`,
        TOKEN_URL: `http://127.0.0.1:${token}`,
        NOTIFIER_URL: `http://127.0.0.1:${notifier}`,
      },
    ],
  ];
  const processes: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((service) => service.stop()));
  };
  try {
    for (const [name, port, env] of services) {
      const service = startProcess(name, process.execPath, [requireBuild(`apps/${name}/src/main.js`)], {
        ...common,
        ...env,
        PORT: String(port),
      });
      processes.push(service);
      await waitUntilReady(service, `http://127.0.0.1:${port}/health/ready`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl: `http://127.0.0.1:${gateway}`, adminToken, stop };
}

/** `npm start`: the embedded single-process default, on its own embedded PostgreSQL, no Kafka. */
export async function startEmbeddedStack(): Promise<RunningStack> {
  const [port, postgresPort] = await Promise.all([freePort(), freePort()]);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'backchannel-embedded-'));
  await chmod(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its folder
  const adminToken = randomBytes(32).toString('base64url');
  const service = startProcess('npm start', 'npm', ['start', '--silent'], {
    ...FAST_FLOWS,
    PORT: String(port),
    EMBEDDED_POSTGRES_PORT: String(postgresPort),
    BACKCHANNEL_DATA_DIR: dataDir,
    BACKCHANNEL_ADMIN_TOKEN: adminToken,
    BACKCHANNEL_ISSUER: `http://127.0.0.1:${port}`,
  });
  const stop = async () => {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(service, `http://127.0.0.1:${port}/health/ready`, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl: `http://127.0.0.1:${port}`, adminToken, stop };
}
