// The three systems the bench drives, each started here and described the same way:
// { name, baseUrl, adminToken?, groups (for the /proc sampler), profiled (pids that answer SIGUSR2
// with a CPU profile when BENCH_PROFILE_DIR is set), stop() }.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_ENTRYPOINT, freePort, startProcess, stopProcess, waitUntilReady } from './processes.mjs';

const postgresChildren = (pid) => ({
  pids: [pid],
  descendants: true,
  withReaped: true,
  proportional: true,
  filter: (proc, isRoot) => !isRoot && proc.comm === 'postgres',
});

const profileDir = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : null;
const profilePreload = fileURLToPath(new URL('./profile-preload.cjs', import.meta.url));

/**
 * Starts one of Backchannel's node processes (`command` and `args`), with the profiling preload
 * when BENCH_PROFILE_DIR is set (in NODE_OPTIONS, which the entrypoint keeps).
 */
function startBackchannelProcess(workDir, name, command, args, env) {
  if (!profileDir) return startProcess(workDir, name, command, args, env);
  mkdirSync(profileDir, { recursive: true });
  return startProcess(workDir, name, command, args, {
    ...env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${JSON.stringify(profilePreload)}`].filter(Boolean).join(' '),
    BENCH_PROFILE_DIR: profileDir,
    BENCH_PROFILE_NAME: name,
  });
}

/** What both Backchannel topologies get: short polling interval, no rate limit per user, the receiver's CA trusted. */
const commonEnv = ({ caFile }) => ({
  POLL_INTERVAL_SECONDS: '1',
  AUTH_REQUEST_RATE_PER_CLIENT_AND_USER: '100000',
  AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: '120',
  CLIENT_NOTIFICATION_CA_FILE: caFile,
});

/** `npm start`'s process (dist/apps/embedded/src/main.js) on a fresh embedded PostgreSQL. */
export async function startEmbedded({ workDir, caFile }) {
  const [port, postgresPort] = await Promise.all([freePort(), freePort()]);
  const dataDir = mkdtempSync(path.join(workDir, 'embedded-data-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when started by root
  const adminToken = randomBytes(32).toString('base64url');
  const baseUrl = `http://127.0.0.1:${port}`;
  const service = startBackchannelProcess(workDir, 'embedded', process.execPath, ['dist/apps/embedded/src/main.js'], {
    ...commonEnv({ caFile }),
    PORT: String(port),
    EMBEDDED_POSTGRES_PORT: String(postgresPort),
    BACKCHANNEL_DATA_DIR: dataDir,
    BACKCHANNEL_ADMIN_TOKEN: adminToken,
    BACKCHANNEL_ISSUER: baseUrl,
  });
  await waitUntilReady(service, `${baseUrl}/health/ready`);
  return {
    name: 'embedded',
    baseUrl,
    adminToken,
    groups: [
      { name: 'embedded (node)', pids: [service.pid] },
      { name: 'postgresql (PSS of all processes)', ...postgresChildren(service.pid) },
    ],
    profiled: [service],
    stop: () => stopProcess(service),
  };
}

export const DISTRIBUTED_SERVICES = ['backchannel', 'token', 'notifier', 'approvals', 'ping-delivery', 'gateway'];

/** The six services on DATABASE_URL and KAFKA_BROKERS (deploy/bench-infra.sh starts both). */
export async function startDistributed({ workDir, caFile, keyEncryptionKey }) {
  const { DATABASE_URL, KAFKA_BROKERS, BENCH_POSTGRES_PID, BENCH_KAFKA_PID } = process.env;
  if (!DATABASE_URL || !KAFKA_BROKERS)
    throw new Error('the distributed topology needs DATABASE_URL and KAFKA_BROKERS (npm run bench)');
  const ports = Object.fromEntries(
    await Promise.all(DISTRIBUTED_SERVICES.map(async (name) => [name, await freePort()])),
  );
  const adminToken = randomBytes(32).toString('base64url');
  const baseUrl = `http://127.0.0.1:${ports.gateway}`;
  const services = [];
  const stop = async () => {
    await Promise.all(services.map((service) => stopProcess(service)));
  };
  try {
    for (const name of DISTRIBUTED_SERVICES) {
      const service = startBackchannelProcess(workDir, name, SERVICE_ENTRYPOINT, [name], {
        ...commonEnv({ caFile }),
        BACKCHANNEL_PROFILE: 'test', // plain-http issuer on loopback
        BACKCHANNEL_ISSUER: baseUrl,
        BACKCHANNEL_ADMIN_TOKEN: adminToken,
        BACKCHANNEL_KEY_ENCRYPTION_KEY: keyEncryptionKey,
        BACKCHANNEL_URL: `http://127.0.0.1:${ports.backchannel}`,
        TOKEN_URL: `http://127.0.0.1:${ports.token}`,
        APPROVALS_URL: `http://127.0.0.1:${ports.approvals}`,
        PORT: String(ports[name]),
      });
      services.push(service);
      await waitUntilReady(service, `http://127.0.0.1:${ports[name]}/health/ready`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    name: 'distributed',
    baseUrl,
    adminToken,
    groups: [
      ...services.map((service) => ({ name: service.name, pids: [service.pid] })),
      ...(BENCH_POSTGRES_PID
        ? [{ name: 'postgresql (PSS of all processes)', ...postgresChildren(Number(BENCH_POSTGRES_PID)) }]
        : []),
      ...(BENCH_KAFKA_PID ? [{ name: 'kafka (jvm)', pids: [Number(BENCH_KAFKA_PID)] }] : []),
    ],
    profiled: services,
    stop,
  };
}

/**
 * ../shared/bench/oidc-provider-peer.mjs (BENCH_PEER_SCRIPT overrides), run as its README says.
 * It imports oidc-provider and undici, which resolve from the script's folder: it is copied under
 * node_modules/.bench-peer/ so that this project's node_modules serve them.
 */
export async function startPeer({ workDir }) {
  const script = path.resolve(process.env.BENCH_PEER_SCRIPT ?? '../shared/bench/oidc-provider-peer.mjs');
  const copyDir = path.resolve('node_modules/.bench-peer');
  mkdirSync(copyDir, { recursive: true });
  const copy = path.join(copyDir, path.basename(script));
  copyFileSync(script, copy);
  const [port, pingPort] = await Promise.all([freePort(), freePort()]);
  const baseUrl = `http://127.0.0.1:${port}`;
  const peer = startProcess(workDir, 'peer', process.execPath, [copy], {
    PORT: String(port),
    PING_PORT: String(pingPort),
    QUIET: '1',
  });
  await waitUntilReady(peer, `${baseUrl}/admin/health`);
  return {
    name: 'peer',
    script,
    baseUrl,
    groups: [{ name: 'oidc-provider peer (node)', pids: [peer.pid] }],
    profiled: [],
    stop: () => stopProcess(peer),
  };
}
