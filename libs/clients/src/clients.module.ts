import { Module } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { EgressHttpClient, EgressModule } from '@backchannel/egress';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { ClientAuthenticator } from './client-authenticator.service.js';
import { ClientKeySets, type JwksFetcher } from './client-key-sets.js';
import { ClientRegistry } from './client-registry.service.js';
import { InitialAccessTokens } from './initial-access-tokens.js';
import { CreateClients1763700000300 } from './migrations/1763700000300-create-clients.js';
import { KeyBasedClients1765000000600 } from './migrations/1765000000600-key-based-clients.js';
import { ClientSecretJwt1765100000700 } from './migrations/1765100000700-client-secret-jwt.js';
import { ClientRegistrationManagement1765100001000 } from './migrations/1765100001000-client-registration-management.js';
import { ClientLifecycle1765300000300 } from './migrations/1765300000300-client-lifecycle.js';
import { AuthenticationRequestParameters } from './signed-authentication-request.js';
import { SpentClientJwts } from './spent-client-jwts.js';

/** A JWKS is small: a document larger than this is refused rather than read. */
const MAX_JWKS_BYTES = 64 * 1024;

/** GET of a client's jwks_uri through the egress client (its SSRF policy is the notification endpoints'). */
function jwksFetcher(egress: EgressHttpClient): JwksFetcher {
  return async (url) => {
    const outcome = await egress.get({
      url,
      accept: 'application/jwk-set+json, application/json',
      maxBytes: MAX_JWKS_BYTES,
    });
    if (outcome.kind === 'refused_address') throw new Error(outcome.detail);
    if (outcome.kind === 'unreachable') throw new Error('it could not be reached');
    if (outcome.status !== 200) throw new Error(`it answered HTTP ${outcome.status}`);
    if (outcome.body === null) throw new Error(`it is larger than ${MAX_JWKS_BYTES} bytes`);
    try {
      return JSON.parse(outcome.body.toString('utf8'));
    } catch {
      throw new Error('it is not JSON');
    }
  };
}

/** The client registry and client authentication; needs the global EventStoreModule and ConfigModule. */
@Module({
  imports: [EgressModule],
  providers: [
    ClientRegistry,
    InitialAccessTokens,
    ClientAuthenticator,
    SpentClientJwts,
    AuthenticationRequestParameters,
    {
      provide: ClientKeySets,
      inject: [EgressHttpClient, BACKCHANNEL_CONFIG],
      useFactory: (egress: EgressHttpClient, config: BackchannelConfig) =>
        new ClientKeySets(jwksFetcher(egress), config.clientJwks),
    },
  ],
  exports: [ClientRegistry, InitialAccessTokens, ClientAuthenticator, AuthenticationRequestParameters, ClientKeySets],
})
export class ClientsModule {
  static readonly migrations: readonly Migration[] = [
    CreateClients1763700000300,
    KeyBasedClients1765000000600,
    ClientSecretJwt1765100000700,
    ClientRegistrationManagement1765100001000,
    ClientLifecycle1765300000300,
  ];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'spent_client_jwts', endedAt: 'expires_at' },
    { table: 'initial_access_tokens', endedAt: 'expires_at' },
  ];
}
