import { Module, type DynamicModule } from '@nestjs/common';
import type { Migration } from '@backchannel/event-store';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientRegistry } from './client-registry.service.js';
import { CreateClients1763700000300 } from './migrations/1763700000300-create-clients.js';
import { KeyBasedClients1765000000600 } from './migrations/1765000000600-key-based-clients.js';
import { AuthenticationRequestParameters } from './signed-authentication-request.js';
import { SpentClientJwts } from './spent-client-jwts.js';

/** The client registry and client authentication; needs the global EventStoreModule and ConfigModule. */
@Module({})
export class ClientsModule {
  static readonly migrations: readonly Migration[] = [CreateClients1763700000300, KeyBasedClients1765000000600];

  static forRoot(): DynamicModule {
    return {
      module: ClientsModule,
      providers: [ClientRegistry, ClientAuthenticator, SpentClientJwts, AuthenticationRequestParameters],
      exports: [ClientRegistry, ClientAuthenticator, AuthenticationRequestParameters],
    };
  }
}
