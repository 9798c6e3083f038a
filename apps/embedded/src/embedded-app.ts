import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { ApprovalsModule } from '../../approvals/src/approvals.module.js';
import { BackchannelModule } from '../../backchannel/src/backchannel.module.js';
import { GatewayModule } from '../../gateway/src/gateway.module.js';
import { NOTIFIER_CONSUMER } from '../../notifier/src/device-notifications/new-request.consumer.js';
import { NotifierModule } from '../../notifier/src/notifier.module.js';
import { PING_DELIVERY_CONSUMER } from '../../ping-delivery/src/client-notifications/client-notification.consumer.js';
import { PingDeliveryModule } from '../../ping-delivery/src/ping-delivery.module.js';
import { TOKEN_CONSUMER } from '../../token/src/push-issuance/push-issuance.consumer.js';
import { TokenModule } from '../../token/src/token.module.js';
import type { BackchannelConfig } from '@backchannel/config';
import { createHttpApplication, serviceRootModule } from '@backchannel/http';
import { EventStoreTransport, MessagingModule } from '@backchannel/messaging';

/** Every service's features, as the embedded profile runs them in one process. */
export const EMBEDDED_FEATURES = [
  GatewayModule,
  BackchannelModule,
  TokenModule,
  NotifierModule,
  ApprovalsModule,
  PingDeliveryModule,
];

/** Every consumer group, fed from the event store by one transport, each with its own checkpoint. */
export const EMBEDDED_CONSUMERS = [NOTIFIER_CONSUMER, TOKEN_CONSUMER, PING_DELIVERY_CONSUMER];

/**
 * Every service in one application on one database, with the event-store transport instead of
 * Kafka: the same handlers run without a broker. Its consumers start with startAllMicroservices.
 */
export async function createEmbeddedApplication(
  config: BackchannelConfig,
  service: string,
): Promise<NestFastifyApplication> {
  const app = await createHttpApplication(
    serviceRootModule(config, service, EMBEDDED_FEATURES, [
      MessagingModule.forEmbedded({ streamLanes: config.consumers.streamLanes }),
    ]),
    config,
    service,
  );
  const dataSource = app.get(DataSource);
  app.connectMicroservice(
    { strategy: new EventStoreTransport({ dataSource, consumers: EMBEDDED_CONSUMERS }) },
    { inheritAppConfig: true },
  );
  return app;
}
