import type { FastifyInstance, FastifyRequest } from 'fastify';

// %00 in a URL or form body, \u0000 in JSON, or a raw NUL byte.
const NUL = /%00|\\u0000|\0/i;
// A UTF-16 surrogate without its other half (JSON's "\ud800"): not a character at all.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Deeper JSON than any request of ours; the walk stops there rather than recurse without end. */
const MAX_DEPTH = 32;

/** Whether a parsed JSON body holds a string (value or key) that is not well-formed Unicode. */
export function holdsLoneSurrogate(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return false;
  // bytes, not parsed JSON (the gateway forwards bodies unparsed): the service that parses them checks
  if (ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) return value.some((item) => holdsLoneSurrogate(item, depth + 1));
  return Object.entries(value).some(
    ([key, member]) => LONE_SURROGATE.test(key) || holdsLoneSurrogate(member, depth + 1),
  );
}

/**
 * Refuses any request that carries a character PostgreSQL cannot store, at the one place every
 * service shares: a NUL (no identifier, hint or message may contain one, and text and jsonb
 * cannot), or a lone UTF-16 surrogate in a JSON body (jsonb refuses it). Either would otherwise
 * surface as a database error (a 500) wherever it reached a query.
 */
export function registerNulCharacterGuard(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', async (request: FastifyRequest & { rawBody?: Buffer }, reply) => {
    const description =
      NUL.test(request.url) || NUL.test(request.rawBody?.toString('utf8') ?? '')
        ? 'The request must not contain NUL characters.'
        : holdsLoneSurrogate(request.body)
          ? 'The request must be well-formed Unicode: it holds a lone surrogate (such as \\ud800).'
          : null;
    if (description === null) return;
    await reply
      .code(400)
      .header('Cache-Control', 'no-store')
      .send({ error: 'invalid_request', error_description: description });
  });
}
