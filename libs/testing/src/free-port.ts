import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Below Linux's ephemeral range (32768–60999), where the OS also takes the local ports of outgoing
 * connections: a port handed out from that range may be taken by a client socket (a Kafka or
 * PostgreSQL connection of an earlier service) before the process meant for it listens.
 */
const FIRST = 20_000;
const LAST = 32_767;

/** A free port below the ephemeral range, for a process or listener of a test. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(FIRST, LAST + 1);
    if (await isFree(port)) return port;
  }
  throw new Error('no free port found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
