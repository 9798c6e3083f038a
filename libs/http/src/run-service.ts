import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type BackchannelConfig,
  ConfigurationError,
  loadConfig,
  requirementsOf,
  type ServiceName,
} from '@backchannel/config';
import {
  ConsumerHealth,
  DeadLetterStore,
  type EventConsumer,
  MessagingModule,
  kafkaConsumerOptions,
} from '@backchannel/messaging';
import { createHttpApplication, createLogger, listen } from './http-application.factory.js';
import { serviceRootModule } from './service-root.module.js';

/** Runs a service's start-up; a configuration problem or start failure ends the process with a clear message. */
export function runService(service: string, start: () => Promise<void>): void {
  start().catch((error: unknown) => failedToStart(service, error));
}

function failedToStart(service: string, error: unknown): never {
  const logger = createLogger(service);
  if (error instanceof ConfigurationError) logger.error(error.message);
  else logger.error(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}

export interface HttpServiceDefinition {
  /** Also names what its configuration requires: its secrets, its upstreams (requirementsOf). */
  service: ServiceName;
  features: Type<unknown>[];
  /**
   * A service that writes events takes part in relaying them to Kafka (one relay is active at a
   * time); `consumer`: the consumer group it runs over Kafka beside its HTTP endpoints.
   */
  kafka?: { consumer?: EventConsumer };
  /** Anything to add to the application before it listens (proxy routes). */
  beforeListen?: (app: NestFastifyApplication, config: BackchannelConfig) => Promise<void>;
}

/** The main of a distributed service: configuration from the environment, the app, then listen. */
export function runHttpService(definition: HttpServiceDefinition): void {
  runService(definition.service, async () => {
    const { consuming } = await startHttpService(
      definition,
      loadConfig(process.env, requirementsOf(definition.service)),
    );
    consuming.catch((error: unknown) => failedToStart(definition.service, error));
  });
}

/**
 * A distributed service serving HTTP; `consuming` settles when its Kafka consumer (if any) has
 * joined its group, or failed to.
 */
export async function startHttpService(
  definition: HttpServiceDefinition,
  config: BackchannelConfig,
): Promise<{ app: NestFastifyApplication; consuming: Promise<unknown> }> {
  const { service, features, kafka, beforeListen } = definition;
  const brokers = config.kafkaBrokers;
  const messaging = kafka
    ? [
        MessagingModule.forKafka({
          brokers,
          clientId: service,
          security: config.kafkaSecurity,
          relay: config.relayEnabled,
          streamLanes: config.consumers.streamLanes,
          relayOptions: config.relay,
        }),
      ]
    : [];
  const app = await createHttpApplication(serviceRootModule(config, service, features, messaging), config, service);
  if (kafka?.consumer) {
    const { partitionsConsumedConcurrently, kafkaFetch, kafkaGroup } = config.consumers;
    app.connectMicroservice(
      kafkaConsumerOptions({
        brokers,
        clientId: service,
        security: config.kafkaSecurity,
        consumer: kafka.consumer,
        partitionsConsumedConcurrently,
        fetch: kafkaFetch,
        group: kafkaGroup,
        deadLetters: app.get(DeadLetterStore),
        health: app.get(ConsumerHealth),
      }),
      { inheritAppConfig: true },
    );
  }
  await beforeListen?.(app, config);
  await listen(app, config, service);
  // HTTP needs no Kafka: the consumer joins its group once the service serves, so a restarted
  // replica answers at once, not after its dead predecessor's session in the group has ended
  const consuming = kafka?.consumer ? app.startAllMicroservices() : Promise.resolve();
  return { app, consuming };
}
