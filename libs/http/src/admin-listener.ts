import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { BackchannelConfig } from '@backchannel/config';
import { answerClientError, httpServerOptions } from './connection-errors.js';

/** The admin API and the admin console. */
const ADMIN_PATH = /^\/admin(?:[/?]|$)/;
/** What an admin listener serves besides them: the probes, so it can be watched like the public one. */
const PROBE_PATH = /^\/health(?:[/?]|$)/;

/** Each application's admin listener and its sockets, once it has one. */
const adminListeners = new WeakMap<FastifyInstance, { server: Server; sockets: WeakSet<Socket> }>();

/**
 * Answers each path on the listener it belongs to, once the application has an admin listener
 * (startAdminListener), and 404 on the other, as for a path that does not exist. Registered with
 * the application (hooks cannot be added once it listens); it does nothing until then.
 */
export function registerAdminPathSeparation(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const adminListener = adminListeners.get(fastify);
    if (adminListener === undefined) return;
    const onAdminListener = adminListener.sockets.has(request.raw.socket);
    const path = request.raw.url ?? '/';
    const belongs = onAdminListener ? ADMIN_PATH.test(path) || PROBE_PATH.test(path) : !ADMIN_PATH.test(path);
    if (belongs) return;
    await reply
      .code(404)
      .header('Cache-Control', 'no-store')
      .send({ error: 'not_found', error_description: 'The resource does not exist.' });
  });
  fastify.addHook('onClose', async () => {
    const server = adminListeners.get(fastify)?.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
}

/**
 * Gives the admin API and console a listener of their own at the public edge (least privilege: an
 * admin token that leaks is still of no use from the internet when the admin port is not exposed).
 * The one application serves both listeners (registerAdminPathSeparation sorts the paths out).
 */
export async function startAdminListener(
  fastify: FastifyInstance,
  config: BackchannelConfig,
  listener: { host: string; port: number },
): Promise<void> {
  const sockets = new WeakSet<Socket>();
  const { server: timeouts } = httpServerOptions(config.httpTimeouts);
  const handle = (request: IncomingMessage, response: ServerResponse) => fastify.routing(request, response);
  const server: Server =
    config.tls === null
      ? createHttpServer(timeouts, handle)
      : createHttpsServer(
          { ...timeouts, cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
          handle,
        );
  server.on(config.tls === null ? 'connection' : 'secureConnection', (socket: Socket) => sockets.add(socket));
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, listener.host, () => resolve());
  });
  adminListeners.set(fastify, { server, sockets });
}
