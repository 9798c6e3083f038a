import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { crashProcess } from './process-crash.js';
import { endingWithTestRunner } from './ending-with-test-runner.js';

const postgresMain = fileURLToPath(new URL('../../../dist/apps/embedded/src/postgres.main.js', import.meta.url));

/**
 * A PostgreSQL of its own (the embedded server of `npm start`, on a free port, data in a temporary
 * folder), for tests that kill and restart the database: the shared one must never be stopped.
 * Needs `npm run build` (it runs dist/apps/embedded/src/postgres.main.js).
 */
export class PrivatePostgres {
  private launcher: ChildProcess | undefined;

  private constructor(
    private readonly home: string,
    private readonly port: number,
    private readonly testRunner: number,
  ) {}

  /**
   * Its launcher stops it once the test runner is gone (exit-with-test-runner.cjs), so a killed test
   * run leaves no server holding its port; `testRunner` is this process unless a test says otherwise.
   */
  static async start({ testRunner = process.pid } = {}): Promise<PrivatePostgres> {
    const home = await mkdtemp(join(tmpdir(), 'private-postgres-'));
    await chmod(home, 0o755); // PostgreSQL runs as its own user and must reach its folder
    const postgres = new PrivatePostgres(home, await freePort(), testRunner);
    await postgres.run([]);
    return postgres;
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/backchannel`;
  }

  private get dataDir(): string {
    return join(this.home, 'data');
  }

  /** Ends the postmaster with SIGKILL, as a crash would: nothing is checkpointed, its backends are orphaned. */
  async crash(): Promise<void> {
    await crashProcess(Number((await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]));
    // the launcher has nothing left to run
    this.signalLauncher('SIGKILL');
  }

  /**
   * Starts again on the same data; resolves once it accepts connections, after its crash recovery.
   * Retried while the orphaned backends of the killed postmaster still hold its shared memory.
   */
  async resume(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.run(['--keep']);
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(250);
      }
    }
  }

  async destroy(): Promise<void> {
    const launcher = this.launcher;
    if (launcher && this.signalLauncher('SIGTERM')) await new Promise((resolve) => launcher.once('exit', resolve));
    // the server's last files may still be going away after it ended
    await rm(this.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  private signalLauncher(signal: NodeJS.Signals): boolean {
    const launcher = this.launcher;
    if (!launcher || launcher.exitCode !== null || launcher.signalCode !== null) return false;
    return launcher.kill(signal);
  }

  /** Runs the launcher until it prints `ready`; rejects with what it printed if it ends first. */
  private run(flags: string[]): Promise<void> {
    const launcher = spawn(process.execPath, [postgresMain, this.dataDir, String(this.port), 'backchannel', ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: endingWithTestRunner(process.env, this.testRunner),
    });
    this.launcher = launcher;
    let output = '';
    return new Promise((resolve, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('ready ')) resolve();
      };
      launcher.stdout?.on('data', collect);
      launcher.stderr?.on('data', collect);
      launcher.once('exit', (code) => reject(new Error(`PostgreSQL ended (${code}) before it was ready: ${output}`)));
    });
  }
}
