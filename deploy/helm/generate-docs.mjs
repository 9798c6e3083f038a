// The chart's values.schema.json and its README's values table, from values.yaml: the types from
// the defaults, the descriptions from the `## @param` annotations (every value has one), the
// constraints below. `node deploy/helm/generate-docs.mjs` rewrites both; with --check it only says
// whether they are up to date (the chart's test runs it so).
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const chart = new URL('./backchannel/', import.meta.url);
const valuesText = readFileSync(new URL('values.yaml', chart), 'utf8');
const values = parse(valuesText);

/** Constraints beyond the type, by value path. */
const CONSTRAINTS = {
  'image.tag': { not: { const: 'latest' } },
  'image.pullPolicy': { enum: ['Always', 'IfNotPresent', 'Never'] },
  'config.issuer': { anyOf: [{ const: '' }, { pattern: '^https://' }] },
  'config.pollIntervalSeconds': { minimum: 1, maximum: 3600 },
  'config.accessTokenTtlSeconds': { minimum: 30, maximum: 86400 },
  'config.tokenRetryWindowSeconds': { minimum: 0, maximum: 600 },
  'config.retentionDays': { minimum: 1, maximum: 3650 },
  'config.auditCheckpointIntervalMinutes': { minimum: 0, maximum: 10080 },
  'externalDatabase.port': { minimum: 1, maximum: 65535 },
  'externalDatabase.sslMode': { enum: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] },
  'externalKafka.brokers': { items: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' } },
  'externalKafka.sasl.mechanism': { enum: ['', 'plain', 'scram-sha-256', 'scram-sha-512'] },
  'externalKafka.topics.partitions': { minimum: 1, maximum: 1000 },
  'externalKafka.topics.replicationFactor': { minimum: 1, maximum: 10 },
  'externalKafka.consumer.sessionTimeoutMs': { minimum: 1000, maximum: 1800000 },
  'externalKafka.consumer.heartbeatIntervalMs': { minimum: 100, maximum: 600000 },
  'externalKafka.consumer.rebalanceTimeoutMs': { minimum: 1000, maximum: 1800000 },
  'common.replicaCount': { minimum: 1 },
  'common.autoscaling.minReplicas': { minimum: 1 },
  'common.autoscaling.maxReplicas': { minimum: 1 },
  'common.autoscaling.targetCPU': { minimum: 1, maximum: 100 },
  'common.podAntiAffinityPreset': { enum: ['soft', 'hard'] },
  'service.type': { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] },
  'service.port': { minimum: 1, maximum: 65535 },
  'ingress.pathType': { enum: ['Prefix', 'Exact', 'ImplementationSpecific'] },
  'metrics.port': { minimum: 1, maximum: 65535 },
};

/** Objects whose members are open (maps of labels, settings, Kubernetes fragments). */
const OPEN = new Set([
  'commonLabels',
  'commonAnnotations',
  'config.extraSettings',
  'common.resources',
  'common.podSecurityContext',
  'common.containerSecurityContext',
  'common.nodeSelector',
  'common.podLabels',
  'common.podAnnotations',
  'ingress.annotations',
  'metrics.serviceMonitor.labels',
]);

const SERVICE_BLOCKS = new Set([
  'services.gateway',
  'services.backchannel',
  'services.token',
  'services.notifier',
  'services.approvals',
  'services.pingDelivery',
]);

const descriptions = new Map(
  [...valuesText.matchAll(/^\s*## @param (\S+) (.+)$/gm)].map(([, path, text]) => [path, text.trim()]),
);

function schemaOf(value, path) {
  const described = descriptions.has(path) ? { description: descriptions.get(path) } : {};
  const constraints = CONSTRAINTS[path] ?? {};
  if (SERVICE_BLOCKS.has(path)) {
    // any key of `common`, for one service
    return {
      ...described,
      type: 'object',
      additionalProperties: false,
      properties: schemaOf(values.common, 'common').properties,
    };
  }
  if (Array.isArray(value)) return { ...described, type: 'array', ...constraints };
  if (value !== null && typeof value === 'object') {
    if (OPEN.has(path)) return { ...described, type: 'object', ...constraints };
    const properties = Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, schemaOf(inner, path ? `${path}.${key}` : key)]),
    );
    return { ...described, type: 'object', additionalProperties: false, properties, ...constraints };
  }
  const type = typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
  return { ...described, type, ...constraints };
}

/** Every leaf documented, and every annotation naming a value that exists. */
function undocumented() {
  const missing = [];
  const walk = (value, path) => {
    if (descriptions.has(path)) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else missing.push(path);
  };
  walk(values, '');
  const unknown = [...descriptions.keys()].filter(
    (path) => path.split('.').reduce((at, key) => (at === undefined ? undefined : at[key]), values) === undefined,
  );
  return [...missing.map((path) => `no @param for ${path}`), ...unknown.map((path) => `@param of no value: ${path}`)];
}

const schema =
  JSON.stringify(
    { $schema: 'http://json-schema.org/draft-07/schema#', title: 'Backchannel chart values', ...schemaOf(values, '') },
    null,
    2,
  ) + '\n';

const rows = [...valuesText.matchAll(/^\s*## @(section|param) (\S+)(?: (.+))?$/gm)].map(([, kind, first, rest]) => {
  if (kind === 'section')
    return `\n### ${[first, rest].filter(Boolean).join(' ')}\n\n| Name | Description | Value |\n| --- | --- | --- |`;
  const value = first.split('.').reduce((at, key) => at?.[key], values);
  return `| \`${first}\` | ${rest.replaceAll('|', '\\|')} | \`${JSON.stringify(value)}\` |`;
});
const table = `<!-- values table: generated by deploy/helm/generate-docs.mjs -->\n${rows.join('\n')}\n<!-- end of values table -->`;
const readmeFile = new URL('README.md', chart);
const readme = readFileSync(readmeFile, 'utf8');
const newReadme = readme.replace(/<!-- values table:[\s\S]*<!-- end of values table -->/, table);

const problems = undocumented();
if (process.argv.includes('--check')) {
  if (readFileSync(new URL('values.schema.json', chart), 'utf8') !== schema)
    problems.push('values.schema.json is out of date');
  if (newReadme !== readme) problems.push("README.md's values table is out of date");
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\n(run node deploy/helm/generate-docs.mjs)`);
    process.exit(1);
  }
} else {
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  writeFileSync(new URL('values.schema.json', chart), schema);
  writeFileSync(readmeFile, newReadme);
}
