import { Module, type DynamicModule } from '@nestjs/common';
import type { Migration } from '@backchannel/event-store';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientRegistry } from './client-registry.service.js';
import { CreateClients1763700000300 } from './migrations/1763700000300-create-clients.js';

/** The client registry and client authentication; needs the global EventStoreModule and ConfigModule. */
@Module({})
export class ClientsModule {
  static readonly migrations: readonly Migration[] = [CreateClients1763700000300];

  static forRoot(): DynamicModule {
    return {
      module: ClientsModule,
      providers: [ClientRegistry, ClientAuthenticator],
      exports: [ClientRegistry, ClientAuthenticator],
    };
  }
}
