// Preloaded (node --require) into Backchannel's processes when the bench runs with
// BENCH_PROFILE_DIR: the first SIGUSR2 starts a CPU profile (V8's sampling profiler, 1 ms) and
// starts counting the statements sent to PostgreSQL; the second stops both and writes
// <dir>/<name>-<pid>.cpuprofile and <dir>/<name>-<pid>.statements.json. The bench sends them around
// its measured flows, so start-up and warm-up are left out. Bench-only: never loaded by the services.
'use strict';
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR;
const name = process.env.BENCH_PROFILE_NAME ?? 'node';
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });

// Every statement goes through pg's Client#query (the pool and TypeORM included).
const statements = new Map();
let counting = false;
const { Client } = require('pg');
const query = Client.prototype.query;
Client.prototype.query = function countedQuery(config, ...rest) {
  if (counting) {
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    statements.set(key, (statements.get(key) ?? 0) + 1);
  }
  return query.call(this, config, ...rest);
};

let profiling = false;
process.on('SIGUSR2', () => {
  const file = path.join(dir, `${name}-${process.pid}`);
  if (!profiling) {
    profiling = counting = true;
    session.post('Profiler.start');
    return;
  }
  profiling = counting = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) throw error;
    writeFileSync(`${file}.cpuprofile`, JSON.stringify(result.profile));
    writeFileSync(`${file}.statements.json`, JSON.stringify(Object.fromEntries(statements)));
  });
});
