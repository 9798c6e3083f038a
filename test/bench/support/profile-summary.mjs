// Where a process's CPU went, from a V8 .cpuprofile (support/profile-preload.cjs writes them):
// the self time of every sampled function, grouped by component, and the statements it sent to
// PostgreSQL. Also a command: node test/bench/support/profile-summary.mjs <file.cpuprofile>... [flows]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { table } from './stats.mjs';

const PACKAGE_COMPONENTS = [
  [
    /^(fastify|@fastify\/.*|find-my-way|avvio|light-my-request|fast-.*|secure-json-parse|toad-cache)$/,
    'HTTP framework (fastify)',
  ],
  [/^(@nestjs\/.*|rxjs|reflect-metadata|iterare|tslib)$/, 'Nest (+ rxjs)'],
  [/^typeorm$/, 'ORM (typeorm)'],
  [/^(pg|pg-.*|postgres-.*)$/, 'PostgreSQL client (pg)'],
  [/^jose$/, 'JWT (jose)'],
  [/^kafkajs$/, 'Kafka client (kafkajs)'],
  [/^undici$/, 'HTTP client (undici)'],
  [/^zod$/, 'validation (zod)'],
];

// Natives (no script URL) that are the kernel's share of talking to PostgreSQL, Kafka and clients.
const SOCKET_NATIVES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']);
const JSON_NATIVES = new Set(['parse', 'stringify']);
const NODE_IO = /^node:(internal\/)?(net|_?http.*|_?tls.*|stream.*|streams\/.*|stream_base_commons|dns|dgram)/;

/** The component a function belongs to, from where its code lives. */
export function componentOf({ functionName, url }) {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 and native, unattributed';
  if (!url) {
    if (SOCKET_NATIVES.has(functionName)) return 'socket writes (system calls)';
    if (JSON_NATIVES.has(functionName)) return 'JSON (parse, stringify)';
    return 'other built-ins';
  }
  if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'crypto (node:crypto, WebCrypto)';
  if (NODE_IO.test(url)) return 'node I/O (net, streams, http, tls)';
  if (url.startsWith('node:')) return 'node internals (timers, events, async hooks)';
  const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) {
    const [, name] = inPackage;
    return PACKAGE_COMPONENTS.find(([pattern]) => pattern.test(name))?.[1] ?? 'other packages';
  }
  const ours = /\/dist\/(apps|libs)\/([^/]+)\//.exec(url);
  if (ours) return `ours: ${ours[1]}/${ours[2]}`;
  return 'other';
}

/** Self time (ms) by component and the busiest functions; idle time left out. */
export function summariseProfile(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + ms);
  }
  const byComponent = new Map();
  const byFunction = new Map();
  let busyMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const { callFrame } = nodes.get(id);
    if (callFrame.functionName === '(idle)' || callFrame.functionName === '(root)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const component = componentOf(callFrame);
    byComponent.set(component, (byComponent.get(component) ?? 0) + ms);
    const where = callFrame.url
      ? `${callFrame.url.replace(/^.*\/(node_modules|dist)\//, '')}:${callFrame.lineNumber + 1}`
      : '';
    const fn = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  return { busyMs, idleMs, components: sorted(byComponent), functions: sorted(byFunction) };
}

/** Statement counts (support/profile-preload.cjs, keyed by the statement's text), busiest first. */
export function summariseStatements(counts) {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { total, statements: Object.entries(counts).sort((a, b) => b[1] - a[1]) };
}

/** Printable tables for one process: components, top functions, statements per flow. */
export function profileReport(name, profile, statementCounts, flows) {
  const { busyMs, idleMs, components, functions } = summariseProfile(profile);
  const perFlow = (ms) => (ms / flows).toFixed(2);
  const percent = (ms) => `${((100 * ms) / busyMs).toFixed(1)} %`;
  const lines = [
    `-- ${name}: ${(busyMs / 1000).toFixed(1)} s busy, ${(idleMs / 1000).toFixed(1)} s idle on its main thread`,
    table([
      ['component (self time)', 'ms/flow', 'share'],
      ...components.map(([component, ms]) => [component, perFlow(ms), percent(ms)]),
    ]),
    table([
      ['busiest functions', 'ms/flow', 'share'],
      ...functions.slice(0, 12).map(([fn, ms]) => [fn.slice(0, 90), perFlow(ms), percent(ms)]),
    ]),
  ];
  const { total, statements } = summariseStatements(statementCounts ?? {});
  if (total > 0) {
    lines.push(
      table([
        [`statements to PostgreSQL: ${(total / flows).toFixed(1)} per flow`, 'per flow'],
        ...statements.slice(0, 25).map(([text, n]) => [text.slice(0, 100), (n / flows).toFixed(2)]),
      ]),
    );
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = process.argv.slice(2).filter((arg) => arg.endsWith('.cpuprofile'));
  const flows = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 1);
  for (const file of files) {
    const statementsFile = file.replace(/\.cpuprofile$/, '.statements.json');
    let statements = null;
    try {
      statements = JSON.parse(readFileSync(statementsFile, 'utf8'));
    } catch {
      // profile only
    }
    console.log(profileReport(file, JSON.parse(readFileSync(file, 'utf8')), statements, flows));
  }
}
