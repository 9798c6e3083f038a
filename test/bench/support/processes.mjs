// Processes the bench starts: each in its own process group, its output in <workDir>/<name>.log,
// its pid listed in <workDir>/pids (deploy/bench-infra.sh kills what is left there if the bench dies).
import { spawn } from 'node:child_process';
import { appendFileSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

// the tests' own: below the ephemeral range, never the same twice (the benches run the build)
export { freePort } from '../../../dist/libs/testing/src/free-port.js';

/** The image's command (deploy/image/entrypoint.sh <service>): a service runs here as in the image, with its node options. */
export const SERVICE_ENTRYPOINT = fileURLToPath(new URL('../../../deploy/image/entrypoint.sh', import.meta.url));

const started = new Set();

const running = (child) => child.exitCode === null && child.signalCode === null;

function signalGroup(child, signal) {
  if (!running(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts `command args` with `env` added to this process's environment. */
export function startProcess(workDir, name, command, args, env) {
  const log = path.join(workDir, `${name}.log`);
  const out = openSync(log, 'a');
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
  appendFileSync(path.join(workDir, 'pids'), `${child.pid}\n`);
  started.add(child);
  return { name, child, pid: child.pid, log };
}

/** Resolves once `url` answers 2xx; throws when the process exits or `timeoutMs` passes. */
export async function waitUntilReady({ name, child, log }, url, timeoutMs = 120_000) {
  for (const begin = Date.now(); Date.now() - begin < timeoutMs; await sleep(200)) {
    if (!running(child)) throw new Error(`${name} exited: see ${log}`);
    const ok = await request(url).then(
      async (response) => {
        await response.body.dump();
        return response.statusCode >= 200 && response.statusCode < 300;
      },
      () => false,
    );
    if (ok) return;
  }
  throw new Error(`${name} did not become ready within ${timeoutMs} ms: see ${log}`);
}

/** SIGTERM to the process group, SIGKILL after 10 s; resolves when it exited. */
export async function stopProcess({ child }) {
  if (!running(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signalGroup(child, 'SIGTERM');
  const forced = setTimeout(() => signalGroup(child, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(forced);
  started.delete(child);
}

process.on('exit', () => {
  for (const child of started) signalGroup(child, 'SIGKILL');
});
