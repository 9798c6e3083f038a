import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { PrivatePostgres } from '@backchannel/testing';
import { startProcess, waitFor } from '../e2e/support/service-process.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a process a test started', () => {
  it('ends by itself once the test runner is gone', async () => {
    // started as a test starts a stack; it stands in for a test runner and starts a service of its
    // own as startProcess would (naming itself the runner), then prints what it was given
    const standIn = startProcess(
      'stand-in runner',
      process.execPath,
      [
        '-e',
        `const service = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
         stdio: 'ignore',
         env: { ...process.env, TEST_RUNNER_PID: String(process.pid) },
       });
       const { NODE_OPTIONS, TEST_RUNNER_PID } = process.env;
       console.log(JSON.stringify({ runner: process.pid, service: service.pid, NODE_OPTIONS, TEST_RUNNER_PID }));
       setInterval(() => {}, 1000);`,
      ],
      {},
    );
    const given = await waitFor('the stand-in printed what it was given', async () => {
      const line = standIn
        .fullOutput()
        .split('\n')
        .find((text) => text.startsWith('{'));
      return line
        ? (JSON.parse(line) as { runner: number; service: number; NODE_OPTIONS: string; TEST_RUNNER_PID: string })
        : undefined;
    });
    // what startProcess gives every process: the guard preloaded, and this runner to watch
    expect(given.NODE_OPTIONS).toMatch(/--require ".*exit-with-test-runner\.cjs"/);
    expect(given.TEST_RUNNER_PID).toBe(String(process.pid));

    // the stand-in dies without stopping anything, as a killed test run does, at once (its
    // service may not even have loaded the guard yet)
    process.kill(given.runner, 'SIGKILL');
    await standIn.exited();
    expect(alive(given.service)).toBe(true); // orphaned, not killed with it
    await waitFor('the orphaned service ended', async () => (alive(given.service) ? undefined : true), 10_000);
  });

  it('stops a private PostgreSQL once its test runner is gone', async () => {
    // a stand-in runner: the private PostgreSQL watches it instead of this test run
    const runner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const postgres = await PrivatePostgres.start({ testRunner: runner.pid! });
    try {
      const port = Number(new URL(postgres.url).port);
      expect(await accepts(port)).toBe(true);

      runner.kill('SIGKILL');
      await once(runner, 'exit');
      await waitFor('the private PostgreSQL stopped', async () => ((await accepts(port)) ? undefined : true), 30_000);
    } finally {
      runner.kill('SIGKILL');
      await postgres.destroy();
    }
  });
});

/** Whether something accepts TCP connections on the port of this machine. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
