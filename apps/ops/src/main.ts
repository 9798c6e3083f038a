#!/usr/bin/env node
import 'reflect-metadata';
import { runOps } from './ops-cli.js';

// The operators' command line: audit the event log (see ops-cli.ts, or `ops --help`).
runOps(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ops failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
