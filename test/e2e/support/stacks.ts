import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEST_KEY_ENCRYPTION_KEY, requireTestEnv, retryOnTakenPort } from '@backchannel/testing';
import type { Fetch } from './backchannel-api.js';
import { type ServiceProcess, freePort, startProcess, waitUntilReady } from './service-process.js';
import type { TlsEdge } from './tls-edge.js';

/** A running Backchannel, seen from outside: its public URL and admin token. */
export interface RunningStack {
  baseUrl: string;
  adminToken: string;
  /** How to reach baseUrl when it is https with the test CA (see StackOptions.tls). */
  fetch?: Fetch;
  /** Everything every process of the stack printed so far: its logs. */
  logs(): string;
  /** What every process of the stack serves on its /metrics (its own METRICS_PORT), one text. */
  metrics(): Promise<string>;
  /** The stack's database, as an operator's `ops` reaches it. */
  databaseUrl: string;
  stop(): Promise<void>;
}

async function scrape(ports: number[]): Promise<string> {
  const texts = await Promise.all(
    ports.map(async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      if (response.status !== 200) throw new Error(`/metrics on ${port} answered ${response.status}`);
      return response.text();
    }),
  );
  return texts.join('\n');
}

/** Short intervals and expiries so the flows run in seconds. */
const FAST_FLOWS = {
  POLL_INTERVAL_SECONDS: '1',
  AUTH_REQUEST_MIN_EXPIRY_SECONDS: '1',
  AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: '60',
  // an updated or deleted client reaches every service within a second
  CLIENT_CACHE_SECONDS: '1',
  // flows one after another for the same client and user, a denial among them (the abuse scenarios test the limits)
  AUTH_REQUEST_RATE_PER_CLIENT_AND_USER: '100000',
  AUTH_REQUEST_DENIAL_BACKOFF_SECONDS: '0',
  // every test calls from 127.0.0.1 into one database, wrong credentials among its calls: the limit
  // on failed authentications per address is tested where it is set low
  FAILED_AUTHENTICATION_BUDGET: '100000',
};

function requireBuild(entry: string): string {
  const file = path.resolve('dist', entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does it).`);
  return file;
}

export const DISTRIBUTED_SERVICES = [
  'backchannel',
  'token',
  'notifier',
  'approvals',
  'ping-delivery',
  'gateway',
] as const;
export type DistributedService = (typeof DISTRIBUTED_SERVICES)[number];

export interface StackOptions {
  /** Added to the environment of every service (e.g. the notification CA file, short retries). */
  env?: NodeJS.ProcessEnv;
  /** Host name of the embedded stack's issuer and base URL; 'localhost' where a browser needs a domain (WebAuthn). */
  publicHost?: string;
  /** The public edge terminates TLS itself, with the test CA, and requests client certificates. */
  tls?: TlsEdge;
}

/** The distributed topology, with control over each service for outage and crash tests. */
export interface DistributedStack extends RunningStack {
  /** Shuts one service down gracefully (SIGTERM). */
  stopService(service: DistributedService): Promise<void>;
  /** Ends one service with SIGKILL: no shutdown hook runs, as in a crash. */
  killService(service: DistributedService): Promise<void>;
  /** Starts a stopped or killed service again, on the same port with the same environment; resolves once it is ready. */
  startService(service: DistributedService): Promise<void>;
}

/**
 * The distributed topology: gateway, backchannel, token, notifier, approvals and ping-delivery, each in its
 * own process, talking through the real Kafka broker and the real PostgreSQL the test command started.
 * Started again on other ports when one was taken before its service listened (retryOnTakenPort).
 */
export function startDistributedStack(options: StackOptions = {}): Promise<DistributedStack> {
  return retryOnTakenPort(() => launchDistributedStack(options));
}

async function launchDistributedStack(options: StackOptions): Promise<DistributedStack> {
  const ports = Object.fromEntries(
    await Promise.all(DISTRIBUTED_SERVICES.map(async (service) => [service, await freePort()] as const)),
  ) as Record<DistributedService, number>;
  const metricsPorts = Object.fromEntries(
    await Promise.all(DISTRIBUTED_SERVICES.map(async (service) => [service, await freePort()] as const)),
  ) as Record<DistributedService, number>;
  const adminToken = randomBytes(32).toString('base64url');
  const { tls } = options;
  const scheme = tls ? 'https' : 'http';
  const edgeFetch = tls?.fetch();
  const common = {
    ...FAST_FLOWS,
    BACKCHANNEL_PROFILE: 'test',
    DATABASE_URL: requireTestEnv('DATABASE_URL'),
    KAFKA_BROKERS: requireTestEnv('KAFKA_BROKERS'),
    BACKCHANNEL_ADMIN_TOKEN: adminToken,
    BACKCHANNEL_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    BACKCHANNEL_ISSUER: `${scheme}://127.0.0.1:${ports.gateway}`,
    // the services check client certificates too, as the gateway (a proxy to them) forwards them
    ...tls?.mtlsEnv,
    ...options.env,
  };
  const gatewayEnv = {
    BACKCHANNEL_URL: `http://127.0.0.1:${ports.backchannel}`,
    TOKEN_URL: `http://127.0.0.1:${ports.token}`,
    APPROVALS_URL: `http://127.0.0.1:${ports.approvals}`,
    ...tls?.edgeEnv,
  };
  const processes = new Map<DistributedService, ServiceProcess>();
  const startService = async (service: DistributedService) => {
    if (processes.get(service)?.hasExited() === false) throw new Error(`${service} is already running`);
    const running = startProcess(service, process.execPath, [requireBuild(`apps/${service}/src/main.js`)], {
      ...common,
      ...(service === 'gateway' ? gatewayEnv : {}),
      PORT: String(ports[service]),
      METRICS_PORT: String(metricsPorts[service]),
    });
    processes.set(service, running);
    const atEdge = service === 'gateway' && edgeFetch;
    await waitUntilReady(
      running,
      `${atEdge ? scheme : 'http'}://127.0.0.1:${ports[service]}/health/ready`,
      undefined,
      atEdge || undefined,
    );
  };
  const stop = async () => {
    await Promise.all([...processes.values()].map((service) => service.stop()));
  };
  try {
    for (const service of DISTRIBUTED_SERVICES) await startService(service);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl: `${scheme}://127.0.0.1:${ports.gateway}`,
    adminToken,
    fetch: edgeFetch,
    logs: () => [...processes.values()].map((service) => service.fullOutput()).join(''),
    metrics: () => scrape(Object.values(metricsPorts)),
    databaseUrl: common.DATABASE_URL,
    stop,
    stopService: async (service) => processes.get(service)?.stop(),
    killService: async (service) => processes.get(service)?.kill(),
    startService,
  };
}

/** `npm start`: the embedded single-process default, on its own embedded PostgreSQL, no Kafka. */
export function startEmbeddedStack(options: StackOptions = {}): Promise<RunningStack> {
  return retryOnTakenPort(() => launchEmbeddedStack(options));
}

async function launchEmbeddedStack(options: StackOptions): Promise<RunningStack> {
  const [port, postgresPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'backchannel-embedded-'));
  await chmod(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its folder
  const adminToken = randomBytes(32).toString('base64url');
  const { tls } = options;
  const edgeFetch = tls?.fetch();
  const baseUrl = `${tls ? 'https' : 'http'}://${options.publicHost ?? '127.0.0.1'}:${port}`;
  const service = startProcess('npm start', 'npm', ['start', '--silent'], {
    ...FAST_FLOWS,
    PORT: String(port),
    EMBEDDED_POSTGRES_PORT: String(postgresPort),
    METRICS_PORT: String(metricsPort),
    BACKCHANNEL_DATA_DIR: dataDir,
    BACKCHANNEL_ADMIN_TOKEN: adminToken,
    BACKCHANNEL_ISSUER: baseUrl,
    ...tls?.edgeEnv,
    ...options.env,
  });
  const stop = async () => {
    await service.stop();
    // PostgreSQL's last files may still be going away after the process group ended
    await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    await waitUntilReady(service, `${baseUrl}/health/ready`, 120_000, edgeFetch);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    baseUrl,
    adminToken,
    fetch: edgeFetch,
    logs: () => service.fullOutput(),
    metrics: () => scrape([metricsPort]),
    databaseUrl: `postgres://postgres:postgres@127.0.0.1:${postgresPort}/backchannel`,
    stop,
  };
}
