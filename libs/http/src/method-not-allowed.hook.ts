import type { FastifyInstance } from 'fastify';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * A request whose path exists under other methods gets 405 with an Allow header (checklist D-1:
 * GET /bc-authorize is a wrong method, not an unknown resource); other unmatched requests go on
 * to the 404 handler.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined) return;
    const url = request.url.split('?')[0] ?? request.url;
    const allowed = METHODS.filter((method) => method !== request.method && fastify.findRoute({ method, url }));
    if (allowed.length === 0) return;
    await reply
      .code(405)
      .header('Allow', allowed.join(', '))
      .header('Cache-Control', 'no-store')
      .send({ error: 'method_not_allowed', error_description: `Use ${allowed.join(' or ')} for this resource.` });
  });
}
