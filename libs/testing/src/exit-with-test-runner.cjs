// Preloaded (NODE_OPTIONS=--require, see ending-with-test-runner.ts) into every node process a test
// starts (the services of an end-to-end stack, a private PostgreSQL's launcher) and into what those
// start (`npm start` runs the embedded process): once the test runner (TEST_RUNNER_PID) is gone,
// as when a test run is killed half way, the process ends itself with SIGTERM, so it shuts down as
// in production. Otherwise its services would live on against the development PostgreSQL and
// Kafka, and relay or consume the next run's events, and a private PostgreSQL would hold its port.
// Watching the runner, not the parent: a process whose parent died before this file ran would never
// see it change. Test-only: never loaded by the image.
'use strict';
const { clearInterval, setInterval } = require('node:timers');
const runner = Number(process.env.TEST_RUNNER_PID);
const runnerAlive = () => {
  try {
    process.kill(runner, 0);
    return true;
  } catch {
    return false;
  }
};
if (runner > 0) {
  const watch = setInterval(() => {
    if (runnerAlive()) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  watch.unref();
}
