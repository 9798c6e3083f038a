import { type Server, createServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { sharedMetricsRegistry } from '@backchannel/observability';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A service's Prometheus metrics: the process's (CPU, memory, event-loop lag, GC) and its HTTP
 * requests here, and what its code counts in the shared registry (libs/observability): flows,
 * deliveries, consumers' lag, dead letters, the database pool.
 */
export interface ServiceMetrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
}

export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  sharedMetricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'backchannel_' });
  const httpRequestDuration = new Histogram({
    name: 'backchannel_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route template and status, and how long they took.',
    labelNames: ['method', 'route', 'status_code'] as const,
    // from a cached discovery document to a token request that waits on the database
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpRequestDuration };
}

const STARTED_AT = Symbol('metrics start');

/**
 * Times every request by its route's template (`/device/v1/requests/:requestId`, never the URL
 * itself, so a client cannot grow the label set), `unmatched` for unknown routes.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: ServiceMetrics): void {
  fastify.addHook('onRequest', async (request) => {
    (request as unknown as Record<symbol, bigint>)[STARTED_AT] = process.hrtime.bigint();
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const startedAt = (request as unknown as Record<symbol, bigint | undefined>)[STARTED_AT];
    if (startedAt === undefined) return;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      seconds,
    );
  });
}

/**
 * GET /metrics in Prometheus' text format, on a port of its own (METRICS_PORT): never on the
 * public listener, so the edge does not show its internals to clients; only the scraper reaches it.
 */
export async function startMetricsServer(metrics: ServiceMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    Promise.all([metrics.registry.metrics(), sharedMetricsRegistry.metrics()]).then(
      (texts) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(texts.join('\n')),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
