import { Module, type DynamicModule } from '@nestjs/common';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientRegistry } from './client-registry.service.js';

/** The client registry and client authentication; needs the global EventStoreModule and ConfigModule. */
@Module({})
export class ClientsModule {
  static forRoot(): DynamicModule {
    return {
      module: ClientsModule,
      providers: [ClientRegistry, ClientAuthenticator],
      exports: [ClientRegistry, ClientAuthenticator],
    };
  }
}
