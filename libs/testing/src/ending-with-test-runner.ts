import { fileURLToPath } from 'node:url';

const PRELOAD = `--require ${JSON.stringify(fileURLToPath(new URL('./exit-with-test-runner.cjs', import.meta.url)))}`;

/**
 * The environment of a process a test starts, given the preload that ends it once the test runner
 * (`runner`: this process by default) is gone, and the runner's pid (exit-with-test-runner.cjs).
 */
export function endingWithTestRunner(env: NodeJS.ProcessEnv, runner = process.pid): NodeJS.ProcessEnv {
  const nodeOptions = [env.NODE_OPTIONS, PRELOAD].filter(Boolean).join(' ');
  return { ...env, NODE_OPTIONS: nodeOptions, TEST_RUNNER_PID: String(runner) };
}
