import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CONFIGURATION_VARIABLES, SECRETS_OF_SERVICE, type ServiceName } from '@backchannel/config';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { type Manifest, helm, manifestsOf } from '../e2e/support/helm.js';

const run = promisify(execFile);
const CHART = path.resolve('deploy/helm/backchannel');
const EXAMPLES = path.resolve('deploy/helm/examples');

/** The Kubernetes schemas a rendered object must satisfy (kubernetes-models, offline). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};
/** Custom resources with no bundled schema: their shape is asserted below. */
const WITHOUT_MODEL = new Set(['kafka.strimzi.io/v1beta2/KafkaTopic', 'gateway.networking.k8s.io/v1/HTTPRoute']);

const MINIMAL = ['-f', path.join(EXAMPLES, 'minimal.yaml')];
const MATRIX: Record<string, string[]> = {
  minimal: MINIMAL,
  'strimzi and CloudNativePG (autoscaling, ingress, ServiceMonitor API present)': [
    '-f',
    path.join(EXAMPLES, 'strimzi-cloudnativepg.yaml'),
    '--api-versions',
    'monitoring.coreos.com/v1',
  ],
  'managed services (FAPI-CIBA, mTLS, HTTPRoute, tracing)': ['-f', path.join(EXAMPLES, 'managed-services.yaml')],
  'metrics and the ServiceMonitor asked for, without the API': [
    ...MINIMAL,
    '--set',
    'metrics.serviceMonitor.enabled=true',
  ],
  'one service scaled apart': [
    ...MINIMAL,
    '--set',
    'services.token.autoscaling.enabled=true',
    '--set',
    'ops.enabled=true',
  ],
};

/** The environment variable names a container is given, its ConfigMap's included. */
function environmentOf(container: RenderedContainer, configMaps: Map<string, Record<string, string>>): string[] {
  const fromMaps = (container.envFrom ?? []).flatMap((source) =>
    Object.keys(configMaps.get(source.configMapRef!.name) ?? {}),
  );
  return [...fromMaps, ...(container.env ?? []).map((variable) => variable.name)];
}

/** A rendered container, as far as the policies read it. */
interface RenderedContainer {
  image: string;
  securityContext: unknown;
  resources: { requests?: unknown };
  envFrom?: { configMapRef?: { name: string } }[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  startupProbe?: unknown;
}

type PodSpec = { containers: RenderedContainer[] };

function podSpecOf(manifest: Manifest): PodSpec | null {
  const spec = manifest.spec as { template: { spec: PodSpec }; jobTemplate: { spec: { template: { spec: PodSpec } } } };
  if (manifest.kind === 'Deployment' || manifest.kind === 'Job') return spec.template.spec;
  if (manifest.kind === 'CronJob') return spec.jobTemplate.spec.template.spec;
  return null;
}

/** What the configuration reads, and the OpenTelemetry SDK's own variables. */
const KNOWN_VARIABLES = new Set([...CONFIGURATION_VARIABLES, 'OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT']);
const SECRET_VARIABLES = [
  'BACKCHANNEL_ADMIN_TOKEN',
  'BACKCHANNEL_KEY_ENCRYPTION_KEY',
  'BACKCHANNEL_KEY_ENCRYPTION_KEYS',
  'DATABASE_PASSWORD',
  'KAFKA_SASL_PASSWORD',
];

describe('the Helm chart (offline: helm lint and template, Kubernetes schemas, policies)', () => {
  it('has its values schema and README table generated from the annotated values', async () => {
    await expect(run(process.execPath, ['deploy/helm/generate-docs.mjs', '--check'])).resolves.toBeDefined();
  });

  for (const [name, values] of Object.entries(MATRIX)) {
    it(`renders valid, hardened manifests: ${name}`, async () => {
      // lint takes values, not the API versions of a cluster
      const valuesOnly = values.filter(
        (_, index) => values[index] !== '--api-versions' && values[index - 1] !== '--api-versions',
      );
      const linted = await helm('lint', '--strict', CHART, ...valuesOnly);
      expect(linted.stderr + linted.stdout).toContain('0 chart(s) failed');
      const rendered = await helm('template', 'bc', CHART, ...values);
      expect(rendered.code).toBe(0);
      const manifests = manifestsOf(rendered.stdout);

      const configMaps = new Map(
        manifests
          .filter((manifest) => manifest.kind === 'ConfigMap')
          .map((manifest) => [manifest.metadata.name, manifest.data as Record<string, string>]),
      );
      for (const manifest of manifests) {
        const key = `${manifest.apiVersion}/${manifest.kind}`;
        const Model = MODELS[key];
        if (Model) new Model(manifest as never).validate();
        else expect(WITHOUT_MODEL).toContain(key);

        const pod = podSpecOf(manifest);
        if (pod === null) continue;
        for (const container of pod.containers) {
          const where = `${manifest.kind} ${manifest.metadata.name}`;
          expect({ where, security: container.securityContext }).toMatchObject({
            security: {
              runAsNonRoot: true,
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            },
          });
          expect(container.resources.requests).toBeDefined();
          expect(container.image).not.toMatch(/:latest$/);
          const environment = environmentOf(container, configMaps);
          // a renamed variable of the configuration breaks this
          expect({ where, unknown: environment.filter((variable) => !KNOWN_VARIABLES.has(variable)) }).toEqual({
            where,
            unknown: [],
          });
          const component = manifest.metadata.name.replace(/^bc-backchannel-/, '');
          // a Deployment gets the secrets its service needs, no more; of the jobs only `ops` opens sealed keys
          const needs =
            manifest.kind === 'Deployment'
              ? SECRETS_OF_SERVICE[component as ServiceName]
              : component.startsWith('ops')
                ? ['keyEncryptionKeys']
                : [];
          expect({
            where,
            admin: environment.includes('BACKCHANNEL_ADMIN_TOKEN'),
            kek: environment.some((variable) => variable.startsWith('BACKCHANNEL_KEY_ENCRYPTION_KEY')),
          }).toEqual({ where, admin: needs.includes('adminToken'), kek: needs.includes('keyEncryptionKeys') });
          if (manifest.kind === 'Deployment') {
            expect(container.livenessProbe?.httpGet.path).toBe('/health/live');
            // services without an API of their own are ready when their Kafka consumer consumes
            const consumesOnly = ['notifier', 'ping-delivery'].includes(component);
            expect({ where, readiness: container.readinessProbe?.httpGet.path }).toEqual({
              where,
              readiness: consumesOnly ? '/health/consumer' : '/health/ready',
            });
            expect(container.startupProbe).toBeDefined();
          }
        }
      }
      // secrets come from Secrets, never from a ConfigMap
      for (const data of configMaps.values()) {
        for (const variable of SECRET_VARIABLES) expect(Object.keys(data)).not.toContain(variable);
      }
      const deployments = manifests.filter((manifest) => manifest.kind === 'Deployment');
      expect(deployments.map((manifest) => manifest.metadata.name).sort()).toEqual(
        ['approvals', 'backchannel', 'gateway', 'notifier', 'ping-delivery', 'token'].map((s) => `bc-backchannel-${s}`),
      );
      // the gateway listens on every interface of its pod; the others on the pod's address, which the probes and Services reach
      for (const deployment of deployments) {
        const host = podSpecOf(deployment)!.containers[0]!.env?.find((variable) => variable.name === 'HOST');
        const gateway = deployment.metadata.name === 'bc-backchannel-gateway';
        expect({ where: deployment.metadata.name, host }).toEqual({
          where: deployment.metadata.name,
          host: gateway ? undefined : { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        });
      }
      for (const data of configMaps.values()) expect(Object.keys(data)).not.toContain('HOST');
      // the admin API and console: the gateway's own listener, on a ClusterIP Service, never routed from outside
      const services = manifests.filter((manifest) => manifest.kind === 'Service');
      expect(services.find((manifest) => manifest.metadata.name === 'bc-backchannel-gateway-admin')).toMatchObject({
        spec: { type: 'ClusterIP', ports: [{ name: 'admin', port: 3001, targetPort: 'admin' }] },
      });
      for (const exposure of manifests.filter((manifest) => ['Ingress', 'HTTPRoute'].includes(manifest.kind))) {
        expect(JSON.stringify(exposure)).not.toContain('gateway-admin');
      }
      expect([...configMaps.values()].some((data) => data.ADMIN_PORT === '3001')).toBe(true);
      for (const custom of manifests.filter((manifest) => manifest.kind === 'KafkaTopic')) {
        expect(custom).toMatchObject({ spec: { topicName: expect.stringMatching(/^backchannel\./) } });
      }
    }, 60_000);
  }

  it('renders the ServiceMonitor only where its API exists, and mTLS settings for the ingress', async () => {
    const strimzi = ['-f', path.join(EXAMPLES, 'strimzi-cloudnativepg.yaml')];
    expect((await helm('template', 'bc', CHART, ...strimzi)).stdout).not.toContain('kind: ServiceMonitor');
    const withMtlsBehind = (gatewayProxies: string) =>
      helm(
        'template',
        'bc',
        CHART,
        ...strimzi,
        '--set',
        'mtls.enabled=true',
        '--set',
        `trustedProxies.gateway=${gatewayProxies}`,
      );
    const withMtls = await withMtlsBehind('{10.1.0.0/16}');
    expect(withMtls.stdout).toContain('nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream: "true"');
    expect(withMtls.stdout).toContain('MTLS_ENABLED: "true"');
    expect(withMtls.stdout).toMatch(/- name: TRUSTED_PROXIES\n\s+value: "10.1.0.0\/16"/);
    const noProxy = await withMtlsBehind('null');
    expect(noProxy.code).not.toBe(0);
    expect(noProxy.stderr).toContain('trustedProxies.gateway');
  }, 60_000);

  it('counts failed authentications per real client by default: the services believe the gateway, the gateway its proxies', async () => {
    const manifests = manifestsOf((await helm('template', 'bc', CHART, ...MINIMAL)).stdout);
    const privateRanges = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fd00::/8';
    const configMap = manifests.find((manifest) => manifest.kind === 'ConfigMap')!;
    expect(configMap.data).toMatchObject({ TRUSTED_PROXIES: privateRanges });
    expect(configMap.data).not.toHaveProperty('MTLS_ENABLED');
    const ownTrustedProxies = (name: string) => {
      const deployment = manifests.find(
        (manifest) => manifest.kind === 'Deployment' && manifest.metadata.name === name,
      )!;
      const container = (
        deployment.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
      ).template.spec.containers[0]!;
      return container.env.find((variable) => variable.name === 'TRUSTED_PROXIES')?.value;
    };
    expect(ownTrustedProxies('bc-backchannel-gateway')).toBe(privateRanges);
    for (const service of ['backchannel', 'token', 'approvals']) {
      expect(ownTrustedProxies(`bc-backchannel-${service}`)).toBeUndefined();
    }
    // nothing but the gateway reaches the services that believe it
    const approvalsPolicy = manifests.find(
      (manifest) => manifest.kind === 'NetworkPolicy' && manifest.metadata.name === 'bc-backchannel-approvals',
    )!;
    expect(JSON.stringify(approvalsPolicy.spec)).toContain('"app.kubernetes.io/component":"gateway"');
  }, 60_000);

  it('refuses broken values with a message that says what to set', async () => {
    const zero = await helm('template', 'bc', CHART, ...MINIMAL, '--set', 'common.replicaCount=0');
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toContain('common.replicaCount: Must be greater than or equal to 1');
    const latest = await helm('template', 'bc', CHART, ...MINIMAL, '--set', 'image.tag=latest');
    expect(latest.code).not.toBe(0);
    const empty = await helm('template', 'bc', CHART);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('config.issuer: the public https URL of the gateway');
    expect(empty.stderr).toContain('externalKafka.brokers: the Kafka bootstrap brokers');
  }, 60_000);
});
