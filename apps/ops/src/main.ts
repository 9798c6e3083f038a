#!/usr/bin/env node
import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { runOps } from './ops-cli.js';

// What the libraries log (Kafka's warnings) goes to stderr: stdout is the command's output.
class StderrLogger extends ConsoleLogger {
  protected override printMessages(...args: Parameters<ConsoleLogger['printMessages']>): void {
    const [messages, context, logLevel, , errorStack, params] = args;
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}
Logger.overrideLogger(new StderrLogger('ops', { logLevels: ['error', 'warn'] }));

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
