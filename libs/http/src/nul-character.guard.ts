import type { FastifyInstance, FastifyRequest } from 'fastify';

// %00 in a URL or form body, \u0000 in JSON, or a raw NUL byte.
const NUL = /%00|\\u0000|\0/i;

/**
 * Refuses any request that carries a NUL character, at the one place every service shares:
 * no identifier, hint or message may contain one, and PostgreSQL text and jsonb cannot store it,
 * so it would otherwise surface as a database error (a 500) wherever it reached a query.
 */
export function registerNulCharacterGuard(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', async (request: FastifyRequest & { rawBody?: Buffer }, reply) => {
    if (!NUL.test(request.url) && !NUL.test(request.rawBody?.toString('utf8') ?? '')) return;
    await reply
      .code(400)
      .header('Cache-Control', 'no-store')
      .send({ error: 'invalid_request', error_description: 'The request must not contain NUL characters.' });
  });
}
