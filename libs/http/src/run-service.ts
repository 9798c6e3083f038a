import { ConfigurationError } from '@backchannel/config';
import { createLogger } from './http-application.factory.js';

/** Runs a service's start-up; a configuration problem or start failure ends the process with a clear message. */
export function runService(service: string, start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    const logger = createLogger(service);
    if (error instanceof ConfigurationError) logger.error(error.message);
    else logger.error(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
}
