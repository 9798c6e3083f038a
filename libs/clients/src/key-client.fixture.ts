import type { ClientMetadata } from '@backchannel/events';
import { CIBA_GRANT_TYPE } from '@backchannel/oauth';
import type { ClientKey } from '@backchannel/testing';
import type { RegisteredClient } from './registered-client.js';

/** A registered private_key_jwt poll client with these keys (tests of what clients sign). */
export function keyClient(
  clientId: string,
  keys: ClientKey[],
  metadata: Partial<ClientMetadata> = {},
): RegisteredClient {
  return {
    clientId,
    secretSha256: null,
    sealedSecret: null,
    registeredAt: '2026-12-05T12:00:00.000Z',
    metadata: {
      client_name: 'Bank',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: [CIBA_GRANT_TYPE],
      scope: 'openid',
      backchannel_token_delivery_mode: 'poll',
      backchannel_user_code_parameter: false,
      jwks: { keys: keys.map((key) => key.publicJwk as { kty: string }) },
      ...metadata,
    },
  };
}
