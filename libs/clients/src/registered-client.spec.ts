import { EgressPolicyChecker } from '@backchannel/egress';
import { validateClientMetadata } from './client-metadata.js';
import { clientRegistrationResponse, type RegisteredClient } from './registered-client.js';

describe('clientRegistrationResponse', () => {
  const client: RegisteredClient = {
    clientId: 'client-1',
    secretSha256: 'a'.repeat(64),
    sealedSecret: null,
    metadata: validateClientMetadata(
      { client_name: 'Call centre', backchannel_token_delivery_mode: 'poll' },
      new EgressPolicyChecker({ allowHttp: false, allowedNetworks: [] }),
    ),
    registeredAt: '2026-11-21T10:00:00.750Z',
  };

  it('uses the RFC 7591 names and never shows the secret or its digest', () => {
    expect(clientRegistrationResponse(client)).toEqual({
      client_id: 'client-1',
      client_id_issued_at: 1795255200,
      client_secret_expires_at: 0,
      ...client.metadata,
    });
  });
});
