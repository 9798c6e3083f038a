import { type ChildProcess, spawn } from 'node:child_process';
import { endingWithTestRunner } from '@backchannel/testing';

export { freePort } from '@backchannel/testing';

export interface ServiceProcess {
  name: string;
  /** The end of what the process printed (for failure messages). */
  output(): string;
  /** Everything the process printed so far (for tests of what it logs). */
  fullOutput(): string;
  /** Whether the process has ended (by itself or by a signal). */
  hasExited(): boolean;
  /** Resolves with the exit code once the process has ended (null after a signal). */
  exited(): Promise<number | null>;
  /** SIGTERM, then SIGKILL after 10 s: the process shuts down as it would in production. */
  stop(): Promise<void>;
  /** SIGKILL at once: no shutdown hook runs, as in a crash. */
  kill(): Promise<void>;
}

/**
 * Starts a command in its own process group, so stopping it also stops what it started; every node
 * process in it ends by itself if the test runner dies (exit-with-test-runner.cjs).
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  /** false: the process sees `env` and PATH only, as a container sees its own environment. */
  inheritEnvironment = true,
): ServiceProcess {
  const environment: NodeJS.ProcessEnv = inheritEnvironment
    ? { ...process.env, ...env }
    : { PATH: process.env.PATH, ...env };
  const child: ChildProcess = spawn(command, args, {
    env: endingWithTestRunner(environment),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // a test stack lives for one file: keeping all it printed costs little and lets a test read its logs
  const chunks: string[] = [];
  const collect = (chunk: Buffer) => {
    chunks.push(chunk.toString('utf8'));
  };
  const fullOutput = () => chunks.join('');
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  /** Signals the whole process group, unless the process has already ended. */
  const signal = (name: NodeJS.Signals): boolean => {
    if (hasExited() || child.pid === undefined) return false;
    process.kill(-child.pid, name);
    return true;
  };
  return {
    name,
    output: () => fullOutput().slice(-20_000),
    fullOutput,
    hasExited,
    exited: () => exited.then(() => child.exitCode),
    async stop() {
      if (!signal('SIGTERM')) return;
      const killed = setTimeout(() => signal('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    },
    async kill() {
      if (signal('SIGKILL')) await exited;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${description}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves once GET url answers 200; fails at once if the process ends first. */
export async function waitUntilReady(
  process: ServiceProcess,
  url: string,
  timeoutMs = 60_000,
  fetchFn: (url: string) => Promise<Response> = fetch,
): Promise<void> {
  /** Read to the end, so the connection is free again (an unread body holds it until garbage collection). */
  const ready = async () => {
    const response = await fetchFn(url);
    await response.arrayBuffer();
    return response.status === 200;
  };
  try {
    const outcome = await waitFor(
      `${process.name} at ${url}`,
      async () => (process.hasExited() ? 'exited' : (await ready()) ? 'ready' : undefined),
      timeoutMs,
      200,
    );
    if (outcome === 'exited') throw new Error(`${process.name} exited before it was ready`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ${process.name} output ---\n${process.output()}`);
  }
}
