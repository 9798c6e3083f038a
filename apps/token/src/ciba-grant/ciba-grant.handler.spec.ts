import type { ClientAuthenticator, RegisteredClient } from '@backchannel/clients';
import type { BackchannelConfig } from '@backchannel/config';
import type { TokenDeliveryMode } from '@backchannel/events';
import { OAuthError } from '@backchannel/oauth';
import type { SenderConstraints } from '../sender-constraint/sender-constraints.js';
import type { TokenMinter } from '../token-minting/token-minter.js';
import { CibaGrantHandler } from './ciba-grant.handler.js';
import type { InvalidGrantThrottleRepository } from './invalid-grant-throttle.repository.js';
import type { PollThrottleRepository } from './poll-throttle.repository.js';

function client(mode: TokenDeliveryMode): RegisteredClient {
  return {
    clientId: `${mode}-client`,
    secretSha256: '00',
    sealedSecret: null,
    metadata: {
      client_name: `A ${mode} client`,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['urn:openid:params:grant-type:ciba'],
      scope: 'openid',
      backchannel_token_delivery_mode: mode,
      ...(mode !== 'poll' && { backchannel_client_notification_endpoint: 'https://client.example.com/cb' }),
      backchannel_user_code_parameter: false,
    },
    registeredAt: '2026-11-21T10:00:00.000Z',
  };
}

/** The grant with an authenticator that accepts `authenticated`, and a minter that counts its calls. */
function grantFor(authenticated: RegisteredClient) {
  const issued: string[] = [];
  const clients = {
    authenticateCibaClient: () => Promise.resolve(authenticated),
  } as unknown as ClientAuthenticator;
  const bearer = { confirmationFor: () => Promise.resolve(null) } as unknown as SenderConstraints;
  const minter = {
    issue: (streamId: string) => {
      issued.push(streamId);
      return Promise.resolve({
        outcome: 'rejected',
        rejection: { code: 'invalid_grant', message: 'The auth_req_id is invalid or was issued to another client.' },
        state: { status: 'Empty' },
      });
    },
  } as unknown as TokenMinter;
  const neverOverBudget = {
    isOverBudget: () => Promise.resolve(false),
    recordInvalidGrant: () => Promise.resolve(),
  } as unknown as InvalidGrantThrottleRepository;
  const config = {
    tokenRetryWindowSeconds: 60,
    abuseLimits: { invalidGrants: { budget: 60, windowSeconds: 60 } },
  } as BackchannelConfig;
  const handler = new CibaGrantHandler(clients, minter, {} as PollThrottleRepository, neverOverBudget, bearer, config);
  const redeem = () =>
    handler.handle({
      params: new Map([
        ['grant_type', 'urn:openid:params:grant-type:ciba'],
        ['auth_req_id', 'some-auth-req-id'],
      ]),
      authorization: 'Basic eA==',
      clientCertificate: null,
      correlationId: 'ciba-grant-spec',
      now: new Date('2026-11-21T10:00:00.000Z'),
    });
  return { redeem, issued };
}

describe('CIBA grant for the delivery modes', () => {
  it('answers a push client unauthorized_client and mints nothing (CIBA §11)', async () => {
    const { redeem, issued } = grantFor(client('push'));

    const refusal = await redeem().catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(OAuthError);
    expect(refusal).toMatchObject({ error: 'unauthorized_client', status: 400 });
    expect(issued).toEqual([]);
  });

  it.each(['poll', 'ping'] as const)('lets a %s client redeem its auth_req_id', async (mode) => {
    const { redeem, issued } = grantFor(client(mode));

    await expect(redeem()).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(issued).toHaveLength(1);
  });
});
