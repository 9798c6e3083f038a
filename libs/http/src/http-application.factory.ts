import { X509Certificate, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DynamicModule, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type BackchannelConfig, developmentRelaxations, requirementsOf, type ServiceName } from '@backchannel/config';
import { ServiceLogger, startTracing } from '@backchannel/observability';
import { classifyFailure } from '@backchannel/messaging';
import { OAuthExceptionFilter, renderError, sendError } from '@backchannel/oauth';
import { ClientCertificateSource } from './client-certificate.js';
import { answerClientError, httpServerOptions } from './connection-errors.js';
import { createServiceMetrics, instrumentHttp, startMetricsServer } from './metrics.js';
import { registerAdminPathSeparation, startAdminListener } from './admin-listener.js';
import { registerJsonBodyParser } from './json-body.parser.js';
import { registerMethodNotAllowed } from './method-not-allowed.hook.js';
import { registerNulCharacterGuard } from './nul-character.guard.js';
import { registerRequestContext } from './request-context.hooks.js';
import { TrustedProxies } from './trusted-proxies.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The TLS client certificate the client presented (see ClientCertificateSource), or null. */
    clientCertificate(): X509Certificate | null;
  }
}

/**
 * The server's timeouts (httpServerOptions); with TLS_CERT_FILE and TLS_KEY_FILE this process
 * terminates TLS itself. Client certificates are requested, never required (most clients authenticate otherwise) and not judged by the handshake:
 * self-signed ones are legitimate (RFC 8705 §2.2), and tls_client_auth checks the chain itself.
 */
function serverOptions(config: BackchannelConfig) {
  const { fastify, server } = httpServerOptions(config.httpTimeouts);
  if (config.tls === null) return { ...fastify, http: server };
  return {
    ...fastify,
    https: {
      ...server,
      cert: readFileSync(config.tls.certFile),
      key: readFileSync(config.tls.keyFile),
      ...(config.mtls.clientCaFile !== null && { ca: readFileSync(config.mtls.clientCaFile) }),
      requestCert: true,
      rejectUnauthorized: false,
    },
  };
}

/** JSON logs, one object per line, with the service name as context and the correlation id (ServiceLogger). */
export function createLogger(service: string): LoggerService {
  return new ServiceLogger(service);
}

/**
 * Every Backchannel HTTP service starts the same way: Fastify with a body limit, a request id
 * (the caller's `x-request-id` when well-formed, echoed back, used as the correlation id of the
 * events it causes), the client's address believed from trusted proxies only, raw form bodies (OAuth endpoints parse them themselves to catch repeated
 * parameters), JSON bodies without repeated keys, the one OAuth error filter, and graceful shutdown.
 */
export async function createHttpApplication(
  rootModule: Type<unknown> | DynamicModule,
  config: BackchannelConfig,
  service: string,
): Promise<NestFastifyApplication> {
  const logger = createLogger(service);
  const tracing = await startTracing(service);
  const trustedProxies = new TrustedProxies(config.trustedProxies);
  const adapter = new FastifyAdapter({
    ...serverOptions(config),
    // request.ip: the client X-Forwarded-For names when the peer is a trusted proxy, else the peer
    trustProxy: trustedProxies.isEmpty ? false : (address: string) => trustedProxies.includes(address),
    clientErrorHandler: answerClientError,
    // what Fastify refuses before routing (a path that does not decode) is answered as every error
    frameworkErrors: (error: Error, _request: FastifyRequest, reply: FastifyReply) =>
      sendError(reply, renderError(error)),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { logger, rawBody: true });
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(app);
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerRequestContext(fastify);
  if (tracing) {
    logger.log('tracing on (OTEL_TRACES_EXPORTER)');
    // after the app's own shutdown, so the spans of its last work are exported
    fastify.addHook('onClose', async () => tracing.shutdown());
  }
  const certificates = new ClientCertificateSource(config.mtls, trustedProxies);
  fastify.decorateRequest('clientCertificate', function (this: FastifyRequest) {
    return certificates.certificateOf(this.raw);
  });
  const metrics = createServiceMetrics(service);
  instrumentHttp(fastify, metrics);
  if (config.metricsPort !== null) {
    const metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort);
    fastify.addHook('onClose', async () => {
      await new Promise((resolve) => metricsServer.close(resolve));
    });
  }
  registerMethodNotAllowed(fastify);
  registerNulCharacterGuard(fastify);
  registerAdminPathSeparation(fastify);
  // a database (or broker) that cannot be reached answers 503 with Retry-After, judged as its consumers judge it
  app.useGlobalFilters(new OAuthExceptionFilter((error) => classifyFailure(error) === 'transient'));
  // Only the signals that mean "stop" (Nest's default list adds SIGUSR2, SIGHUP and fault signals).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  for (const relaxation of developmentRelaxations(config)) logger.warn(`DEVELOPMENT SETTING: ${relaxation}`);
  for (const variable of config.ignoredSecrets) {
    logger.warn(`${variable} is given but ${service} does not need it: ignored (give each service only its secrets)`);
  }
  return app;
}

/**
 * Listens on PORT; the public edge (the gateway, or the embedded process: requirementsOf) also
 * gives the admin API and console their own listener when the configuration has one (startAdminListener).
 */
export async function listen(
  app: NestFastifyApplication,
  config: BackchannelConfig,
  service: ServiceName,
): Promise<void> {
  const logger = createLogger(service);
  const scheme = config.tls ? 'https' : 'http';
  await app.listen(config.port, config.host);
  logger.log(`listening on ${scheme}://${hostInUrl(config.host)}:${config.port}`);
  if (!requirementsOf(service).publicEdge) return;
  const { adminListener } = config;
  if (adminListener === null) {
    logger.warn('DEVELOPMENT SETTING: the admin API and console are served on the public port (set ADMIN_PORT)');
    return;
  }
  await startAdminListener(app.getHttpAdapter().getInstance(), config, adminListener);
  logger.log(`admin API and console on ${scheme}://${hostInUrl(adminListener.host)}:${adminListener.port} only`);
}

/** An IPv6 address is bracketed in a URL (a private one is the default of an inner service on an IPv6 network). */
function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
