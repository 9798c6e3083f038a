import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Below Linux's ephemeral range (32768–60999), where the OS also takes the local ports of outgoing
 * connections: a port handed out from that range may be taken by a client socket (a Kafka or
 * PostgreSQL connection of an earlier service) before the process meant for it listens.
 */
const FIRST = 20_000;
const LAST = 32_767;

/**
 * Every port this process has handed out. A port is free from its check until the process meant
 * for it listens, and again whenever that process is down (a test that restarts it keeps the port):
 * the check alone would hand it out a second time meanwhile.
 */
const handedOut = new Set<number>();

/**
 * A free port below the ephemeral range, for a process or listener of a test; never one this
 * process handed out before. Another process (a test run of another checkout) may still take it
 * before it is bound: retryOnTakenPort starts again on new ones.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(FIRST, LAST + 1);
    if (handedOut.has(port)) continue;
    // before the check, so that concurrent calls never pick the same one
    handedOut.add(port);
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

/** What a process or listener says when its port was taken: Node's code, and PostgreSQL's and Kafka's words. */
const PORT_TAKEN = /EADDRINUSE|address already in use/i;

/**
 * Runs `start`, which listens on ports from freePort, again (it asks for new ones) when it failed
 * because one of them was taken between freePort's check and the bind. `start` stops what it
 * started before it fails, and its error carries what the failed process printed.
 */
export async function retryOnTakenPort<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !PORT_TAKEN.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
}
