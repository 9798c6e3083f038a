import { AsyncLocalStorage } from 'node:async_hooks';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { activeTraceIds } from './tracing.js';

const correlation = new AsyncLocalStorage<string>();

/**
 * Runs `work` with `correlationId` as the correlation id of every line it logs: the HTTP request
 * id at the edge, the event's correlation id in consumers and deliveries (which is that request's
 * id: it travels in the events' metadata), so one CIBA request's lines share one id in every service.
 */
export function withCorrelation<T>(correlationId: string, work: () => T): T {
  return correlation.run(correlationId, work);
}

export function currentCorrelationId(): string | undefined {
  return correlation.getStore();
}

/**
 * The one logger of every service: Nest's JSON lines (one object per line, the service as
 * context), plus `correlationId` and, when the line is written in a traced span, `traceId` and
 * `spanId`.
 */
export class ServiceLogger extends ConsoleLogger {
  constructor(service: string, options: { logLevels?: LogLevel[] } = {}) {
    super(service, { json: true, ...options });
  }

  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(message, options);
    const correlationId = correlation.getStore();
    if (correlationId !== undefined) line.correlationId = correlationId;
    const traced = activeTraceIds();
    if (traced) Object.assign(line, traced);
    return line;
  }
}
