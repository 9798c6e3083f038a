import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { ClientRegistry } from '@backchannel/clients';
import { ConsentVocabulary } from '@backchannel/consent-vocabulary';
import { DeviceRegistry, UserDirectory } from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import { type AuthRequested, authRequestStreamId } from '@backchannel/events';
import { OAuthError } from '@backchannel/oauth';
import { UserRequests } from '@backchannel/user-requests';
import { featureTestingModule, testConfig } from '@backchannel/testing';
import { BackchannelModule } from '../backchannel.module.js';
import { BcAuthorizeHandler } from './bc-authorize.handler.js';

const config = testConfig();
const API = 'https://api.example.com/';

/**
 * What a request asks beside scopes, at /bc-authorize as the backchannel app wires it, on the real
 * PostgreSQL: RFC 8707 resources, RFC 9396 authorization details and the claims parameter are
 * recorded in AuthRequested and the user's request, with the administrator's words for the API
 * scopes and detail types as they were; a refused request records nothing.
 */
describe('resources, authorization details and claims at /bc-authorize', () => {
  let app: TestingModule;
  let client: { clientId: string; secret: string };
  let email: string;
  let subject: string;
  const scope = `payments:${randomBytes(4).toString('hex')}`;
  const type = `payment_initiation_${randomBytes(4).toString('hex')}`;
  const context = { actor: 'admin:consent-details', correlationId: 'consent-details-int-spec', now: new Date() };

  beforeAll(async () => {
    app = await featureTestingModule(BackchannelModule, config, 'consent-details-int-spec').compile();
    await app.init();
    const vocabulary = app.get(ConsentVocabulary);
    await vocabulary.define('scope', scope, { description: 'Make payments from your accounts' }, context);
    await vocabulary.define('authorization_detail_type', type, { description: 'Pay someone' }, context);
    const { client: registered, clientSecret } = await app.get(ClientRegistry).register(
      {
        client_name: 'Consent details client',
        backchannel_token_delivery_mode: 'poll',
        scope: `openid email ${scope}`,
        authorization_details_types: [type, 'account_information'],
        backchannel_allowed_resources: [API],
      },
      context,
    );
    client = { clientId: registered.clientId, secret: clientSecret! };
    const sub = `consent-${randomBytes(6).toString('hex')}`;
    subject = sub;
    email = `${sub}@example.test`;
    await app.get(UserDirectory).createUser({ sub, email });
    await app.get(DeviceRegistry).registerDevice(sub, { name: 'Phone' }, 'device_token');
  });

  afterAll(async () => {
    await app?.close();
  });

  function bcAuthorize(params: [string, string][]) {
    return app.get(BcAuthorizeHandler).handle({
      params: new Map([['login_hint', email], ...params]),
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      clientCertificate: null,
      correlationId: 'consent-details-int-spec',
      now: new Date(),
    });
  }

  async function requested(authReqId: string): Promise<AuthRequested['data']> {
    const { events } = await app.get(PostgresEventStore).readStream(authRequestStreamId(authReqId));
    return (events[0] as AuthRequested).data;
  }

  async function refusal(params: [string, string][]): Promise<string> {
    const before = await app.get(UserRequests).listOpen(subject, new Date());
    const error = await bcAuthorize(params).then(
      () => 'accepted',
      (caught: unknown) => (caught instanceof OAuthError ? caught.error : caught),
    );
    expect(await app.get(UserRequests).listOpen(subject, new Date())).toEqual(before);
    return String(error);
  }

  it('records what was asked, with the words for its API scope and detail type as they were', async () => {
    const payment = { type, instructedAmount: { currency: 'EUR', amount: '42.00' } };
    const { auth_req_id } = await bcAuthorize([
      ['scope', `openid ${scope}`],
      ['resource', `${API} ${config.issuer}`],
      ['authorization_details', JSON.stringify([payment, { type: 'account_information' }])],
      ['claims', JSON.stringify({ userinfo: { birthdate: null }, id_token: { email: { essential: true } } })],
    ]);
    const data = await requested(auth_req_id);
    expect(data).toMatchObject({
      resources: [API, config.issuer],
      authorizationDetails: [payment, { type: 'account_information' }],
      requestedClaims: { userinfo: ['birthdate'], id_token: ['email'] },
      // account_information has no words: it is shown as its type
      wording: {
        scopes: { [scope]: 'Make payments from your accounts' },
        authorizationDetailTypes: { [type]: 'Pay someone' },
      },
    });

    // the words change; the request keeps those it was made with
    await app.get(ConsentVocabulary).define('scope', scope, { description: 'Something else' }, context);
    const row = await app.get(UserRequests).find(data.requestId);
    expect(row).toMatchObject({
      authorizationDetails: data.authorizationDetails,
      requestedClaims: data.requestedClaims,
      wording: data.wording,
    });
    await app
      .get(ConsentVocabulary)
      .define('scope', scope, { description: 'Make payments from your accounts' }, context);
  });

  it('records none of it for a request that asks only for scopes', async () => {
    const data = await requested((await bcAuthorize([['scope', 'openid email']])).auth_req_id);
    for (const member of ['resources', 'authorizationDetails', 'requestedClaims', 'wording']) {
      expect(data).not.toHaveProperty(member);
    }
  });

  it.each<[string, [string, string][], string]>([
    ['a resource not registered', [['resource', 'https://other.example/']], 'invalid_target'],
    [
      'a detail type not registered',
      [['authorization_details', JSON.stringify([{ type: 'transfer' }])]],
      'invalid_authorization_details',
    ],
    ['malformed authorization details', [['authorization_details', '{"type":1}']], 'invalid_authorization_details'],
    ['a malformed claims parameter', [['claims', '{"userinfo":[]}']], 'invalid_request'],
    ['offline_access without the refresh_token grant', [['scope', 'openid offline_access']], 'invalid_scope'],
  ])('refuses %s and records nothing', async (_what, params, error) => {
    expect(await refusal([['scope', 'openid'], ...params])).toBe(error);
  });
});
