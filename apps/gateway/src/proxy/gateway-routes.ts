import { Logger } from '@nestjs/common';
import replyFrom from '@fastify/reply-from';
import { currentTraceparent } from '@backchannel/observability';
import type { FastifyInstance } from 'fastify';
import type { BackchannelConfig } from '@backchannel/config';
import { logRenderedError, renderError, sendError, serviceUnavailable } from '@backchannel/oauth';

type Upstream = keyof BackchannelConfig['upstreams'];

/** Which service answers which public route. */
export const GATEWAY_ROUTES: readonly { url: string; methods: string[]; upstream: Upstream }[] = [
  { url: '/bc-authorize', methods: ['POST'], upstream: 'backchannel' },
  { url: '/admin/v1/clients', methods: ['POST'], upstream: 'backchannel' },
  { url: '/admin/v1/clients/*', methods: ['GET', 'POST', 'DELETE'], upstream: 'backchannel' },
  { url: '/admin/v1/initial-access-tokens', methods: ['POST'], upstream: 'backchannel' },
  { url: '/admin/v1/scopes', methods: ['GET'], upstream: 'backchannel' },
  { url: '/admin/v1/scopes/*', methods: ['GET', 'PUT', 'DELETE'], upstream: 'backchannel' },
  { url: '/admin/v1/authorization-detail-types', methods: ['GET'], upstream: 'backchannel' },
  { url: '/admin/v1/authorization-detail-types/*', methods: ['GET', 'PUT', 'DELETE'], upstream: 'backchannel' },
  // dynamic registration (RFC 7591) and client configuration (RFC 7592)
  { url: '/register', methods: ['POST'], upstream: 'backchannel' },
  { url: '/register/*', methods: ['GET', 'PUT', 'DELETE'], upstream: 'backchannel' },
  { url: '/token', methods: ['POST'], upstream: 'token' },
  { url: '/introspect', methods: ['POST'], upstream: 'token' },
  { url: '/revoke', methods: ['POST'], upstream: 'token' },
  { url: '/userinfo', methods: ['GET', 'POST'], upstream: 'token' },
  { url: '/admin/v1/users', methods: ['POST'], upstream: 'approvals' },
  { url: '/admin/v1/users/*', methods: ['GET', 'POST', 'PATCH', 'DELETE'], upstream: 'approvals' },
  { url: '/device/v1/requests', methods: ['GET'], upstream: 'approvals' },
  { url: '/device/v1/requests/*', methods: ['POST'], upstream: 'approvals' },
  { url: '/device/v1/blocks', methods: ['GET'], upstream: 'approvals' },
  { url: '/device/v1/blocks/*', methods: ['DELETE'], upstream: 'approvals' },
  // where users answer (approvals): the device API, the built-in authenticator's web app and API
  { url: '/authenticator', methods: ['GET'], upstream: 'approvals' },
  { url: '/authenticator/*', methods: ['GET', 'POST'], upstream: 'approvals' },
  // the Keycloak-compatible authentication channel's callback, at Keycloak's path
  { url: '/realms/*', methods: ['POST'], upstream: 'approvals' },
];

/** How long a service may take to answer a forwarded request (its headers, then each part of its body). */
const UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * Forwards the public API to the services over pooled keep-alive connections (undici, through
 * @fastify/reply-from). Bodies pass through untouched as bytes: the services parse them, so a
 * repeated form parameter is still seen as repeated. The body limit applies here, at the edge.
 * The client certificate header is replaced by the certificate this edge accepted (from its own
 * TLS listener or a trusted proxy) or removed: the services trust the gateway's header as a proxy's.
 * X-Forwarded-For is replaced by the one client address this edge sees (request.ip: its peer, or
 * the client a trusted proxy in front of it names), which the services believe from the gateway
 * (their TRUSTED_PROXIES) and count failed authentications by: what a client sends in it never
 * reaches them, so it can neither dodge its own count nor spend another address's. The other
 * forwarded headers, which Fastify would believe from the gateway too, are dropped.
 * Errors of this edge (a body too large or broken off) are rendered as every error is; a service
 * that cannot be reached is answered 503 with Retry-After, and its address stays in the log.
 */
export async function registerGatewayRoutes(fastify: FastifyInstance, config: BackchannelConfig): Promise<void> {
  const logger = new Logger('GatewayProxy');
  await fastify.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const rendered = renderError(error);
      sendError(reply, rendered);
      logRenderedError(logger, error, rendered, request.id);
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.bodyLimitBytes }, (_request, body, done) =>
      done(null, body),
    );
    const { certificateHeader } = config.mtls;
    await scope.register(replyFrom, {
      undici: {
        headersTimeout: UPSTREAM_TIMEOUT_MS,
        bodyTimeout: UPSTREAM_TIMEOUT_MS,
        // reply-from turns certificate verification off by default: the services' are checked
        connect: { rejectUnauthorized: true },
      },
    });
    for (const route of GATEWAY_ROUTES) {
      const base = config.upstreams[route.upstream].replace(/\/+$/, '');
      scope.route({
        method: route.methods,
        url: route.url,
        handler: (request, reply) => {
          // the service's span is a child of the gateway's (traced), else of the caller's as sent
          const traceparent = currentTraceparent();
          return reply.from(`${base}${request.url}`, {
            onError: (_reply, { error }) => {
              const { code } = (error.cause ?? error) as { code?: unknown };
              logger.warn(
                `${route.upstream} at ${base} unreachable (request ${request.id}): ${String(code ?? error.message)}`,
              );
              sendError(reply, renderError(serviceUnavailable()));
            },
            // Given explicitly with its content type, the buffered body is sent byte for byte
            // (reply-from would otherwise JSON-encode a request body it finds already parsed).
            ...(Buffer.isBuffer(request.body)
              ? { body: request.body, contentType: request.headers['content-type'] }
              : {}),
            rewriteRequestHeaders: (_original, headers) => {
              const {
                [certificateHeader]: _certificateAsSent,
                'x-forwarded-host': _host,
                'x-forwarded-proto': _proto,
                forwarded: _forwarded,
                ...forwarded
              } = headers;
              const certificate = request.clientCertificate();
              return {
                ...forwarded,
                'x-forwarded-for': request.ip,
                'x-request-id': request.id,
                ...(traceparent && { traceparent }),
                ...(certificate && { [certificateHeader]: encodeURIComponent(certificate.toString()) }),
              };
            },
          });
        },
      });
    }
  });
}
