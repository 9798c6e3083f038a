import { Injectable } from '@nestjs/common';
import { CIBA_GRANT_TYPE, UnauthorizedClient } from '@backchannel/oauth';
import { parseClientCredentials, verifyClientCredentials } from './client-credentials.js';
import { ClientRegistry } from './client-registry.service.js';
import type { RegisteredClient } from './registered-client.js';

/** Client authentication at the CIBA endpoints (/bc-authorize and /token). */
@Injectable()
export class ClientAuthenticator {
  constructor(private readonly registry: ClientRegistry) {}

  /** The authenticated client, or InvalidRequest / InvalidClient. */
  async authenticate(authorization: string | undefined, form: ReadonlyMap<string, string>): Promise<RegisteredClient> {
    const credentials = parseClientCredentials(authorization, form);
    return verifyClientCredentials(await this.registry.find(credentials.clientId), credentials);
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
