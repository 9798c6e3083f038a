import { type TestingModule } from '@nestjs/testing';
import { decodeJwt } from 'jose';
import type { AuthorizationDetail } from '@backchannel/events';
import { featureTestingModule, testConfig } from '@backchannel/testing';
import { CibaGrantHandler } from '../ciba-grant/ciba-grant.handler.js';
import { RefreshGrantHandler } from '../refresh-grant/refresh-grant.handler.js';
import {
  CIBA_GRANT,
  type TestClient,
  approvedRequest,
  clientForm,
  oauthErrorOf,
  registerClient,
} from '../testing/approved-requests.fixture.js';
import { TokenIntrospectionHandler } from '../token-management/token-introspection.handler.js';
import { TokenModule } from '../token.module.js';
import { UserinfoHandler } from '../userinfo/userinfo.handler.js';

const config = testConfig();
const API = 'https://api.example.com/';
const LEDGER = 'urn:example:ledger';
const payment: AuthorizationDetail = {
  type: 'payment_initiation',
  actions: ['initiate'],
  instructedAmount: { currency: 'EUR', amount: '123.50' },
  creditorName: 'Merchant A',
};

/**
 * What a consent grants beside its scope, on the real PostgreSQL through the token app's handlers:
 * RFC 8707 resources as the access token's audience (narrowed at /token and at each refresh, never
 * widened), RFC 9396 authorization details in the token response, the access token, introspection
 * and every refresh, and userinfo only for tokens whose audience is the issuer.
 */
describe('resources and authorization details in issued tokens, on PostgreSQL', () => {
  let app: TestingModule;
  let client: TestClient;

  beforeAll(async () => {
    app = await featureTestingModule(TokenModule, config, 'grant-details-int-spec').compile();
    await app.init();
    client = await registerClient(app, {
      grant_types: [CIBA_GRANT, 'refresh_token'],
      scope: 'openid email',
      authorization_details_types: ['payment_initiation'],
      backchannel_allowed_resources: [API, LEDGER],
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  async function redeem(
    asked: NonNullable<Parameters<typeof approvedRequest>[2]>['asked'],
    extra: Record<string, string> = {},
  ) {
    const { authReqId } = await approvedRequest(app, client, { asked });
    const form = clientForm(client, { grant_type: CIBA_GRANT, auth_req_id: authReqId });
    const params = new Map([...form.params, ...Object.entries(extra)]);
    return app.get(CibaGrantHandler).handle({ ...form, params });
  }

  const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
    app
      .get(RefreshGrantHandler)
      .handle(clientForm(client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }));
  const introspect = (token: string) => app.get(TokenIntrospectionHandler).handle(clientForm(client, { token }));
  const userinfo = (accessToken: string) =>
    app.get(UserinfoHandler).handle({
      authorization: `Bearer ${accessToken}`,
      method: 'GET',
      clientCertificate: null,
      now: new Date(),
    });

  it('addresses a token to the issuer when no resource was asked, as before', async () => {
    const tokens = await redeem({});
    expect(decodeJwt(tokens.access_token).aud).toBe(config.issuer);
    expect(tokens).not.toHaveProperty('authorization_details');
    await expect(userinfo(tokens.access_token)).resolves.toMatchObject({ sub: expect.any(String) });
  });

  it('addresses the token to every resource granted, and userinfo refuses one not for the issuer', async () => {
    const tokens = await redeem({ resources: [API, LEDGER] });
    expect(decodeJwt(tokens.access_token).aud).toEqual([API, LEDGER]);
    await expect(oauthErrorOf(userinfo(tokens.access_token))).resolves.toBe('invalid_token');
    // introspection answers for any resource
    await expect(introspect(tokens.access_token)).resolves.toMatchObject({ active: true, aud: [API, LEDGER] });
  });

  it('narrows the audience to the resources the token request names, and refuses any other', async () => {
    const narrowed = await redeem({ resources: [API, LEDGER] }, { resource: LEDGER });
    expect(decodeJwt(narrowed.access_token).aud).toBe(LEDGER);
    await expect(oauthErrorOf(redeem({ resources: [API] }, { resource: LEDGER }))).resolves.toBe('invalid_target');
    await expect(oauthErrorOf(redeem({}, { resource: API }))).resolves.toBe('invalid_target');
  });

  it('carries the authorization details into the response, the access token, introspection and every refresh', async () => {
    const tokens = await redeem({ resources: [API, config.issuer], authorizationDetails: [payment] });
    expect(tokens.authorization_details).toEqual([payment]);
    expect(decodeJwt(tokens.access_token).authorization_details).toEqual([payment]);
    await expect(introspect(tokens.access_token)).resolves.toMatchObject({ authorization_details: [payment] });

    const refreshed = await refresh(tokens.refresh_token!, { resource: API });
    expect(refreshed.authorization_details).toEqual([payment]);
    const claims = decodeJwt(refreshed.access_token);
    expect(claims.authorization_details).toEqual([payment]);
    expect(claims.aud).toBe(API);

    // a refresh narrows within what the consent granted, never beyond it
    const again = await refresh(refreshed.refresh_token);
    expect(decodeJwt(again.access_token).aud).toEqual([API, config.issuer]);
    await expect(oauthErrorOf(refresh(again.refresh_token, { resource: LEDGER }))).resolves.toBe('invalid_target');
  });
});
