import { createServer, type Server } from 'node:net';
import { freePort, retryOnTakenPort } from './free-port.js';

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const closed = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('freePort', () => {
  it('never hands out the same port twice in a process, asked at once or one after another', async () => {
    const atOnce = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    const oneAfterAnother: number[] = [];
    for (let index = 0; index < 100; index++) oneAfterAnother.push(await freePort());
    const ports = [...atOnce, ...oneAfterAnother];
    expect(new Set(ports).size).toBe(ports.length);
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...ports)).toBeLessThan(32_768);
  });
});

describe('retryOnTakenPort', () => {
  it('starts again on a new port when another process took the first one before it was bound', async () => {
    const taken = await freePort();
    const thief = await listenOn(taken);
    const tried: number[] = [];
    const started = await retryOnTakenPort(async () => {
      const port = tried.length === 0 ? taken : await freePort();
      tried.push(port);
      return listenOn(port);
    });
    expect(tried).toEqual([taken, expect.any(Number)]);
    expect(tried[1]).not.toBe(taken);
    await Promise.all([closed(thief), closed(started)]);
  });

  it('gives up after its attempts, and never retries another failure', async () => {
    const inUse = () =>
      Promise.reject(new Error('gateway exited before it was ready\nlisten EADDRINUSE: address already in use'));
    let attempts = 0;
    await expect(retryOnTakenPort(() => (attempts++, inUse()), 3)).rejects.toThrow('EADDRINUSE');
    expect(attempts).toBe(3);
    attempts = 0;
    const broken = () => Promise.reject(new Error('token exited before it was ready: invalid configuration'));
    await expect(retryOnTakenPort(() => (attempts++, broken()))).rejects.toThrow('invalid configuration');
    expect(attempts).toBe(1);
  });
});
