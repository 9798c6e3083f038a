import { connect } from 'node:net';

/** What came back on a connection written byte for byte, and how the connection ended. */
export interface RawExchange {
  /** Every byte the server sent, as text. */
  received: string;
  /** 'closed': the server closed gracefully; 'reset': the connection was reset; 'open': still open at the deadline. */
  ending: 'closed' | 'reset' | 'open';
  /** From the first byte written until the connection ended (or the deadline). */
  elapsedMs: number;
}

/**
 * Writes HTTP/1.1 as a client that gets framing wrong would (bodies longer or shorter than their
 * Content-Length, broken chunks, headers or bodies sent a little at a time): each part is written
 * `pauseMs` after the one before, and the connection is watched until the server ends it.
 */
export function rawHttpExchange(
  port: number,
  parts: readonly (string | Uint8Array)[],
  options: { pauseMs?: number; deadlineMs?: number } = {},
): Promise<RawExchange> {
  const { pauseMs = 0, deadlineMs = 10_000 } = options;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const settle = (ending: RawExchange['ending']) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ received, ending, elapsedMs: Date.now() - started });
    };
    const deadline = setTimeout(() => settle('open'), deadlineMs);
    socket.on('data', (data) => (received += data.toString('latin1')));
    socket.on('error', (error: Error & { code?: string }) => settle(error.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('end', () => settle('closed'));
    const writeFrom = (index: number) => {
      if (index >= parts.length || socket.destroyed) return;
      socket.write(parts[index]!);
      setTimeout(() => writeFrom(index + 1), pauseMs);
    };
    socket.on('connect', () => writeFrom(0));
  });
}

/** The responses in what a server sent on one connection: status, lower-cased headers and body of each. */
export function parseRawResponses(
  received: string,
): { status: number; headers: Record<string, string>; body: string }[] {
  const responses = [];
  let rest = received;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) break;
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body });
    rest = rest.slice(headEnd + 4 + length);
  }
  return responses;
}
