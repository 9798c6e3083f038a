import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { type BackchannelConfig, ConfigModule } from '@backchannel/config';
import { CryptoModule } from '@backchannel/crypto';
import { EventStoreModule } from '@backchannel/event-store';
import { HttpModule } from './http.module.js';
import { MaintenanceScheduler, RETENTION_RULES } from './maintenance-scheduler.js';
import { migrationsOf, retentionRulesOf } from './table-owners.js';

@Module({})
class ServiceRootModule {}

/**
 * The root module of a service process: configuration, the event store (which every service
 * reads and appends to, migrated with the tables of every module the service is made of), signing
 * keys and sealing, health endpoints, the pruning of its operational tables, the messaging chosen by the caller (Kafka or the embedded
 * event-store transport), and the feature modules the process serves.
 */
export function serviceRootModule(
  config: BackchannelConfig,
  service: string,
  features: Type<unknown>[],
  messaging: DynamicModule[],
): DynamicModule {
  const infrastructure = [CryptoModule.forRoot(config), ...messaging];
  return {
    module: ServiceRootModule,
    providers: [
      { provide: RETENTION_RULES, useValue: retentionRulesOf([...infrastructure, ...features]) },
      MaintenanceScheduler,
    ],
    imports: [
      ConfigModule.forRoot(config),
      EventStoreModule.forRoot({
        databaseUrl: config.databaseUrl,
        applicationName: `backchannel-${service}`,
        migrations: migrationsOf([...infrastructure, ...features]),
        runMigrations: config.migrateOnStart,
      }),
      HttpModule,
      ...infrastructure,
      ...features,
    ],
  };
}
