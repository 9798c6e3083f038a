import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Resolver } from '@backchannel/egress';
import { createTestPki } from './test-pki.js';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes (an encrypted Web Push message is not text). */
  rawBody: Buffer;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown;
  receivedAt: number;
}

/** How to answer one request: `'hang'` never answers (until `close()`). */
export type ReceiverReply =
  'hang' | { status?: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export type Responder = (request: ReceivedRequest) => ReceiverReply;

export interface HttpsReceiverOptions {
  /** DNS names the leaf certificate also covers, besides localhost (e.g. a name a test resolver maps to 127.0.0.1). */
  extraDnsNames?: readonly string[];
  /** The first responder; `setResponder` replaces it. Default: 204 with no body. */
  responder?: Responder;
}

export interface HttpsReceiver {
  /** The PEM of the CA that signed the receiver's certificate: what a client must trust. */
  caPem: string;
  port: number;
  /** `https://localhost:<port><path>`. */
  url(path?: string): string;
  /** Every request received so far, in order. */
  requests: ReceivedRequest[];
  /** Resolves with the requests once at least `count` arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  setResponder(responder: Responder): void;
  /** Replies used, in order, before the responder is asked again (e.g. a 500 then a 204). */
  enqueueReplies(...replies: ReceiverReply[]): void;
  /** Writes `caPem` to `<dir>/<fileName>` and returns its path (for CLIENT_NOTIFICATION_CA_FILE). */
  writeCaFile(dir: string, fileName?: string): Promise<string>;
  /** Stops listening and destroys every connection, hanging ones included. */
  close(): Promise<void>;
}

const answerNoContent: Responder = () => ({ status: 204 });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * An HTTPS server on 127.0.0.1 that stands in for a client's notification endpoint: it records
 * every request and answers as the test programs it.
 */
export async function startHttpsReceiver(options: HttpsReceiverOptions = {}): Promise<HttpsReceiver> {
  const pki = await createTestPki();
  const { key, cert } = await pki.serverCertificate(options.extraDnsNames ?? []);
  const requests: ReceivedRequest[] = [];
  const queuedReplies: ReceiverReply[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const arrivalListeners = new Set<() => void>();
  let responder = options.responder ?? answerNoContent;

  const server: Server = createServer({ key, cert }, (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const body = rawBody.toString('utf8');
      const request: ReceivedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: { ...incoming.headers },
        body,
        rawBody,
        json: parseJson(body),
        receivedAt: Date.now(),
      };
      requests.push(request);
      for (const listener of arrivalListeners) listener();

      const reply = queuedReplies.shift() ?? responder(request);
      if (reply === 'hang') return;
      const answer = () => {
        outgoing.writeHead(reply.status ?? 204, reply.headers);
        outgoing.end(reply.body);
      };
      if (!reply.delayMs) return answer();
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        answer();
      }, reply.delayMs);
      pendingTimers.add(timer);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    caPem: pki.caPem,
    port,
    url: (path = '/') => `https://localhost:${port}${path}`,
    requests,
    waitForRequests(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          arrivalListeners.delete(check);
          resolve([...requests]);
        };
        const timer = setTimeout(() => {
          arrivalListeners.delete(check);
          reject(new Error(`expected ${count} request(s) within ${timeoutMs} ms, received ${requests.length}`));
        }, timeoutMs);
        arrivalListeners.add(check);
        check();
      });
    },
    setResponder(next) {
      responder = next;
    },
    enqueueReplies(...replies) {
      queuedReplies.push(...replies);
    },
    writeCaFile: (dir, fileName = 'receiver-ca.pem') => pki.writeCaFile(dir, fileName),
    async close() {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * A Resolver that answers from a table, without DNS (e.g. a name in a receiver's certificate ->
 * 127.0.0.1), and fails like getaddrinfo (ENOTFOUND) for any other name.
 */
export function staticResolver(names: Record<string, readonly string[]>): Resolver {
  return async (hostname) => {
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}
