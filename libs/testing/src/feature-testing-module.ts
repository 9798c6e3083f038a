import type { DynamicModule, Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { type BackchannelConfig, ConfigModule } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { EventStoreModule } from '@backchannel/event-store';
import { MessagingModule } from '@backchannel/messaging';

/**
 * One service's feature module on the test database, with the infrastructure its main gives it
 * (configuration, the event store, signing keys and sealing), and the embedded messaging instead
 * of Kafka: integration tests call the handlers themselves. Returns the builder, to compile.
 */
export function featureTestingModule(
  feature: Type | DynamicModule,
  config: BackchannelConfig,
  applicationName: string,
): TestingModuleBuilder {
  return Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      EventStoreModule.forRoot({ databaseUrl: config.databaseUrl, applicationName }),
      MessagingModule.forEmbedded(),
      CryptoModule.forRoot(config),
      feature,
    ],
  });
}
