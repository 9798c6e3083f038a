import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpTimeouts } from '@backchannel/config';
import { type RenderedError, renderError } from '@backchannel/oauth';

/** How long a connection we ended may wait for the client's own close before it is cut. */
const LINGER_MS = 2_000;

/**
 * The server's timeouts (HttpTimeouts in libs/config), for Node's HTTP server through Fastify. Node
 * enforces the header and request timeouts on a periodic sweep: every second, so a slow or
 * stalled request is answered within a second of its bound, not up to 30 s later (Node's default).
 */
export function httpServerOptions(timeouts: HttpTimeouts) {
  const server = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: 1_000,
  };
  // Fastify sets the request and keep-alive timeouts on the server it creates, from its own options
  return { fastify: { requestTimeout: server.requestTimeout, keepAliveTimeout: server.keepAliveTimeout }, server };
}

/** An error answer written straight to a socket, where no Fastify reply exists. */
function rawResponse(rendered: RenderedError): string {
  const body = JSON.stringify(rendered.body);
  const headers = {
    ...rendered.headers,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status]}\r\n${head.join('')}\r\n${body}`;
}

/**
 * Ends the connection gracefully: what was written is delivered and the client sees a close, not
 * a reset (which closing on unread bytes, as socket.destroy() does, would send it).
 */
function endConnection(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Fastify's clientErrorHandler: Node's HTTP server could not read a request (its headers too
 * large, too slow, a malformed frame, or bytes after a complete request that are no request).
 * While a complete request of this connection is still being answered, that answer goes out first
 * (writing an error in its place would give the client a wrong answer, and destroying the socket
 * would reset the connection); otherwise the error is answered in the shape of every error
 * (renderError). Either way the connection is then ended, never reset.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded) return;
  // Node's own record of the response being written on this connection (as its default handler reads it)
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight?.req.complete) {
    inFlight.once('close', () => endConnection(socket));
    return;
  }
  if (!inFlight?.headersSent) socket.write(rawResponse(renderError(error)));
  endConnection(socket);
}
