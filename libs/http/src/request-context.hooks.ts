import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  beginSpan,
  contextOf,
  contextWithSpan,
  runInContext,
  withCorrelation,
} from '@backchannel/observability';

const TRACED = Symbol('request trace');

type Traced = FastifyRequest & { [TRACED]?: { span: Span; active: Context } };

/**
 * Every request is a server span (continuing the caller's `traceparent`, if it sent one) and
 * carries its request id as the correlation id of the lines it logs and the events it causes.
 * The span begins on arrival; both are made active just before the handler (preHandler), after the
 * body was read: the body's stream callbacks do not run in the context of an earlier hook.
 */
export function registerRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    const parent = contextOf(request.headers);
    const span = beginSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, SpanKind.SERVER, parent, {
      'http.request.method': request.method,
      'http.route': request.routeOptions.url ?? 'unmatched',
      'backchannel.request_id': request.id,
    });
    (request as Traced)[TRACED] = { span, active: contextWithSpan(parent, span) };
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const traced = (request as Traced)[TRACED];
    if (!traced) return done();
    runInContext(traced.active, () => withCorrelation(request.id, done));
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const traced = (request as Traced)[TRACED];
    if (!traced) return;
    traced.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
    traced.span.end();
  });
}
