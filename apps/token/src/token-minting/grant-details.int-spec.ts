import { type TestingModule } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { UserDirectory } from '@backchannel/directory';
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
    subject?: string,
  ) {
    const { authReqId } = await approvedRequest(app, client, { asked, ...(subject && { subject }) });
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

  it("puts the claims asked for the ID token in it, and the scopes' claims only when userinfo is out of reach", async () => {
    const subject = `grant-details-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub: subject, email: `${subject}@example.com`, birthdate: '1990-04-01' });
    const asked = { requestedClaims: { userinfo: [], id_token: ['birthdate', 'not_a_claim'] } };

    const forUserinfo = decodeJwt((await redeem(asked, {}, subject)).id_token);
    expect(forUserinfo.birthdate).toBe('1990-04-01');
    expect(forUserinfo).not.toHaveProperty('email'); // userinfo answers it
    expect(forUserinfo).not.toHaveProperty('not_a_claim');

    const forApiOnly = decodeJwt((await redeem({ ...asked, resources: [API] }, {}, subject)).id_token);
    expect(forApiOnly).toMatchObject({ sub: subject, birthdate: '1990-04-01', email: `${subject}@example.com` });

    const plain = decodeJwt((await redeem({}, {}, subject)).id_token);
    expect(plain).not.toHaveProperty('birthdate');
    expect(plain).not.toHaveProperty('email');
  });

  it('answers at userinfo the claims asked for it one by one, with every access token of the grant', async () => {
    const subject = `grant-details-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub: subject, email: `${subject}@example.com`, birthdate: '1990-04-01' });
    const tokens = await redeem({ requestedClaims: { userinfo: ['birthdate'], id_token: [] } }, {}, subject);
    // scope openid email: email by the scope, birthdate because it was asked for
    const expected = { sub: subject, email: `${subject}@example.com`, birthdate: '1990-04-01' };
    await expect(userinfo(tokens.access_token)).resolves.toMatchObject(expected);
    const refreshed = await refresh(tokens.refresh_token!);
    await expect(userinfo(refreshed.access_token)).resolves.toMatchObject(expected);
  });

  it('issues nothing for a consent whose user was disabled since approving, until they are enabled', async () => {
    const subject = `grant-details-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub: subject });
    const { authReqId } = await approvedRequest(app, client, { subject });
    const context = { actor: 'admin', correlationId: 'grant-details-int-spec', now: new Date() };
    await app.get(UserDirectory).setDisabled(subject, true, null, context);
    const redeemIt = () =>
      app.get(CibaGrantHandler).handle(clientForm(client, { grant_type: CIBA_GRANT, auth_req_id: authReqId }));
    await expect(oauthErrorOf(redeemIt())).resolves.toBe('access_denied');
    await app.get(UserDirectory).setDisabled(subject, false, null, context);
    await expect(redeemIt()).resolves.toMatchObject({ token_type: 'Bearer' });
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
