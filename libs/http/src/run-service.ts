import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type BackchannelConfig, ConfigurationError, loadConfig } from '@backchannel/config';
import { createHttpApplication, createLogger, listen } from './http-application.factory.js';
import { serviceRootModule } from './service-root.module.js';

/** Runs a service's start-up; a configuration problem or start failure ends the process with a clear message. */
export function runService(service: string, start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    const logger = createLogger(service);
    if (error instanceof ConfigurationError) logger.error(error.message);
    else logger.error(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
}

export interface HttpServiceDefinition {
  service: string;
  features: Type<unknown>[];
  /** Process-level modules the features need: messaging, signing keys. */
  infrastructure: (config: BackchannelConfig) => DynamicModule[];
  /** Anything to add to the application before it listens (a Kafka consumer, proxy routes). */
  beforeListen?: (app: NestFastifyApplication, config: BackchannelConfig) => Promise<void>;
}

/** The main of a distributed service: configuration from the environment, the app, then listen. */
export function runHttpService(definition: HttpServiceDefinition): void {
  const { service, features, infrastructure, beforeListen } = definition;
  runService(service, async () => {
    const config = loadConfig();
    const root = serviceRootModule(config, service, features, infrastructure(config));
    const app = await createHttpApplication(root, config, service);
    await beforeListen?.(app, config);
    await listen(app, config, service);
  });
}
