import { mkdtemp, rm, symlink, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_KEY_ENCRYPTION_KEY, requireTestEnv } from '@backchannel/testing';
import { BackchannelApi } from './support/backchannel-api.js';
import { type Manifest, helm, manifestsOf } from './support/helm.js';
import { type ServiceProcess, freePort, startProcess, waitUntilReady } from './support/service-process.js';

const RELEASE = 'bc';
const ISSUER = 'https://auth.example.com';
const ADMIN_TOKEN = 'admin-token-of-the-rendered-chart-test-0123456789';

/** A rendered container as this test runs it: its command's arguments and environment. */
interface RenderedContainer {
  args: string[];
  envFrom: { configMapRef: { name: string } }[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
  }[];
}

function containerOf(manifest: Manifest): RenderedContainer {
  const spec = manifest.spec as { template: { spec: { containers: RenderedContainer[] } } };
  return spec.template.spec.containers[0]!;
}

/**
 * The chart's rendered objects run as a cluster would run them, as far as these machines allow (no
 * Kubernetes, no Docker): each Deployment's and Job's container command (the image's entrypoint)
 * started as a process with exactly its rendered environment (ConfigMap and Secrets resolved, the
 * services' DNS names mapped to local ports, the pod's address to 127.0.0.1) against the test PostgreSQL and Kafka, the migration
 * Job first; then a CIBA poll flow through the rendered gateway. Not covered: the cluster itself
 * (scheduling, probes, NetworkPolicies, the Ingress).
 */
describe('the rendered Helm chart runs a working system (its containers as processes)', () => {
  const processes: ServiceProcess[] = [];
  let image: string;
  let gatewayUrl: string;
  let gatewayAdminUrl: string;
  /** Each process's admin port, by its public port (only the gateway opens it). */
  const adminPorts = new Map<number, number>();

  beforeAll(async () => {
    const database = new URL(requireTestEnv('DATABASE_URL'));
    const rendered = await helm(
      'template',
      RELEASE,
      'deploy/helm/backchannel',
      ...['-f', 'deploy/helm/examples/minimal.yaml'],
      ...['--set', `config.issuer=${ISSUER}`, '--set', 'config.pollIntervalSeconds=1'],
      ...['--set', `externalDatabase.host=${database.hostname}`, '--set', `externalDatabase.port=${database.port}`],
      ...['--set', `externalDatabase.database=${database.pathname.slice(1)}`],
      ...['--set', `externalDatabase.user=${database.username}`, '--set', 'externalDatabase.sslMode=disable'],
      ...['--set', `externalKafka.brokers={${requireTestEnv('KAFKA_BROKERS')}}`],
    );
    expect(rendered.stderr).toBe('');
    const manifests = manifestsOf(rendered.stdout);

    // what the cluster would hold: the Secrets the values name, the ConfigMap, the services' addresses
    const secrets: Record<string, Record<string, string>> = {
      backchannel: { 'admin-token': ADMIN_TOKEN, 'key-encryption-key': TEST_KEY_ENCRYPTION_KEY },
      'backchannel-db': { password: decodeURIComponent(database.password) || 'postgres' },
    };
    const configMaps = new Map(
      manifests
        .filter((manifest) => manifest.kind === 'ConfigMap')
        .map((manifest) => [manifest.metadata.name, manifest.data as Record<string, string>]),
    );
    const deployments = manifests.filter((manifest) => manifest.kind === 'Deployment');
    const ports = new Map<string, number>();
    for (const deployment of deployments) ports.set(deployment.metadata.name, await freePort());
    const addressOf = (value: string) =>
      value.replace(/http:\/\/([a-z0-9-]+):3000/g, (whole, host: string) =>
        ports.has(host) ? `http://127.0.0.1:${ports.get(host)}` : whole,
      );
    const environmentOf = async (container: RenderedContainer, port: number): Promise<NodeJS.ProcessEnv> => {
      const fromMaps = container.envFrom.map((source) => configMaps.get(source.configMapRef.name)!);
      const own = container.env.map(({ name, value, valueFrom }) => {
        if (valueFrom?.secretKeyRef) return [name, secrets[valueFrom.secretKeyRef.name]![valueFrom.secretKeyRef.key]!];
        // one host: the pod's address (the downward API's status.podIP) is the loopback one
        if (valueFrom?.fieldRef) return [name, { 'status.podIP': '127.0.0.1' }[valueFrom.fieldRef.fieldPath]!];
        return [name, value!];
      });
      const environment = Object.fromEntries(
        Object.entries(Object.assign({}, ...fromMaps, Object.fromEntries(own)) as Record<string, string>).map(
          ([name, value]) => [name, addressOf(value)],
        ),
      );
      // one host: each process its own ports (in the cluster every pod has 3000, 9464 and the gateway 3001)
      const adminPort = await freePort();
      adminPorts.set(port, adminPort);
      return {
        ...environment,
        PORT: String(port),
        METRICS_PORT: String(await freePort()),
        ADMIN_PORT: String(adminPort),
      };
    };

    // the image's layout: the entrypoint beside dist/ and node_modules/
    image = await mkdtemp(path.join(tmpdir(), 'backchannel-rendered-'));
    await copyFile('deploy/image/entrypoint.sh', path.join(image, 'entrypoint.sh'));
    await symlink(path.resolve('dist'), path.join(image, 'dist'));
    await symlink(path.resolve('node_modules'), path.join(image, 'node_modules'));
    const run = async (name: string, container: RenderedContainer, port: number) => {
      const started = startProcess(
        name,
        'sh',
        [path.join(image, 'entrypoint.sh'), ...container.args],
        await environmentOf(container, port),
        false,
      );
      processes.push(started);
      return started;
    };

    const migration = manifests.find(
      (manifest) => manifest.kind === 'Job' && manifest.metadata.name.endsWith('-migrate'),
    )!;
    const migrate = await run('migrate job', containerOf(migration), await freePort());
    const migrated = await migrate.exited();
    expect({ migrated, output: migrated === 0 ? '' : migrate.output() }).toEqual({ migrated: 0, output: '' });

    const started = await Promise.all(
      deployments.map((deployment) =>
        run(deployment.metadata.name, containerOf(deployment), ports.get(deployment.metadata.name)!),
      ),
    );
    await Promise.all(
      deployments.map((deployment, index) =>
        waitUntilReady(started[index]!, `http://127.0.0.1:${ports.get(deployment.metadata.name)}/health/ready`),
      ),
    );
    gatewayUrl = `http://127.0.0.1:${ports.get(`${RELEASE}-backchannel-gateway`)}`;
    gatewayAdminUrl = `http://127.0.0.1:${adminPorts.get(ports.get(`${RELEASE}-backchannel-gateway`)!)}`;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((started) => started.stop()));
    if (image) await rm(image, { recursive: true, force: true });
  });

  it('serves discovery as the issuer and completes a poll flow through the gateway', async () => {
    const api = new BackchannelApi({ baseUrl: gatewayUrl, adminBaseUrl: gatewayAdminUrl, adminToken: ADMIN_TOKEN });
    // production: the admin API is not on the public port
    expect(
      (await fetch(`${gatewayUrl}/admin/v1/users/nobody`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }))
        .status,
    ).toBe(404);
    const discovery = await api.get('/.well-known/openid-configuration');
    expect(discovery.body).toMatchObject({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });

    const client = await api.registerClient();
    const user = await api.createUserWithDevice();
    const requested = await api.bcAuthorize(client, { scope: 'openid', login_hint: user.email });
    expect(requested.status).toBe(200);
    const onDevice = await api.pendingOnDevice(user, 'E2E client');
    expect((await api.decide(user, onDevice.request_id, { decision: 'approve', scope: 'openid' })).status).toBe(204);
    await sleep(1_100); // the rendered poll interval
    const tokens = await api.token(client, String(requested.body.auth_req_id));
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid' });
  });
});
