import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest, RawServerDefault } from 'fastify';
import { visit } from 'jsonc-parser';
import { InvalidRequest } from '@backchannel/oauth';

/**
 * The first key that some object of a JSON text holds twice, or null. Keys are compared as
 * decoded ("a" and "\u0061" are one key), at any depth; JSON.parse would keep the last silently.
 */
export function findRepeatedKey(json: string): string | null {
  const objects: Set<string>[] = [];
  let repeated: string | null = null;
  visit(json, {
    onObjectBegin: () => void objects.push(new Set()),
    onObjectEnd: () => void objects.pop(),
    onObjectProperty: (key) => {
      const keys = objects.at(-1)!;
      if (keys.has(key)) repeated ??= key;
      keys.add(key);
    },
  });
  return repeated;
}

/** The JSON media types every service reads; RFC 7396 merge patches (the admin API's PATCH) are JSON too. */
const JSON_MEDIA_TYPES = ['application/json', 'application/merge-patch+json'];

/**
 * One JSON body parser for every service: Fastify's own (which refuses `__proto__` and
 * `constructor.prototype`), then a refusal of repeated keys, which would let a body say two
 * things ({"decision":"approve","decision":"deny"}) and be read as its last, as the form parser
 * refuses repeated parameters.
 */
export function registerJsonBodyParser(app: NestFastifyApplication): void {
  const parseSecurely = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>(JSON_MEDIA_TYPES, {}, (request: FastifyRequest, body, done) => {
    const text = body.toString('utf8');
    parseSecurely(request, text, (error, parsed) => {
      if (error) return done(error, undefined);
      if (findRepeatedKey(text) !== null) return done(new InvalidRequest('A JSON object must not repeat a key.'));
      done(null, parsed);
    });
  });
}
