import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig, publicEndpoints } from '@backchannel/config';
import { CIBA_GRANT_TYPE, InvalidClient, UnauthorizedClient } from '@backchannel/oauth';
import { verifyClientAssertion } from './client-assertion.js';
import { parseClientCredentials, verifyClientCredentials } from './client-credentials.js';
import { ClientRegistry } from './client-registry.service.js';
import type { RegisteredClient } from './registered-client.js';
import { SpentClientJwts } from './spent-client-jwts.js';

/** Client authentication at the CIBA endpoints (/bc-authorize and /token), by whichever method the client registered. */
@Injectable()
export class ClientAuthenticator {
  /** What a client assertion's `aud` may name: this server, or either endpoint (checklist C.5). */
  private readonly assertionAudiences: readonly string[];

  constructor(
    private readonly registry: ClientRegistry,
    private readonly spentJwts: SpentClientJwts,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    const endpoints = publicEndpoints(config.issuer);
    this.assertionAudiences = [config.issuer, endpoints.token, endpoints.backchannelAuthentication];
  }

  /** The authenticated client, or InvalidRequest / InvalidClient. */
  async authenticate(authorization: string | undefined, form: ReadonlyMap<string, string>): Promise<RegisteredClient> {
    const credentials = parseClientCredentials(authorization, form);
    const client = await this.registry.find(credentials.clientId);
    if (credentials.method !== 'private_key_jwt') return verifyClientCredentials(client, credentials);

    const now = new Date();
    const verified = await verifyClientAssertion(client, credentials.assertion, {
      audiences: this.assertionAudiences,
      now,
    });
    if (!(await this.spentJwts.spend(verified.client.clientId, 'assertion', verified.jti, verified.expiresAt, now))) {
      throw new InvalidClient('The client assertion was already used: each jti is accepted once.');
    }
    return verified.client;
  }

  /** As authenticate, for the CIBA endpoints: the client must also be registered for the CIBA grant. */
  async authenticateCibaClient(
    authorization: string | undefined,
    form: ReadonlyMap<string, string>,
  ): Promise<RegisteredClient> {
    const client = await this.authenticate(authorization, form);
    if (!client.metadata.grant_types.includes(CIBA_GRANT_TYPE)) {
      throw new UnauthorizedClient('The client is not registered for the CIBA grant.');
    }
    return client;
  }
}
