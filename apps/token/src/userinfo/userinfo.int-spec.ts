import { X509Certificate, createHash, randomBytes, randomUUID } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ClientRegistry } from '@backchannel/clients';
import { DpopNonces } from '@backchannel/crypto';
import { UserDirectory } from '@backchannel/directory';
import { featureTestingModule, selfSignedClientCertificate, testConfig } from '@backchannel/testing';
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
import { TokenRevocationHandler } from '../token-management/token-revocation.handler.js';
import { TokenModule } from '../token.module.js';
import { UserinfoHandler } from './userinfo.handler.js';

const config = testConfig();
const USERINFO_URL = `${config.issuer}/userinfo`;

/**
 * The userinfo endpoint on the real PostgreSQL, through the handler the token app wires: the
 * claims of the granted scopes, and refusals of tokens that are unusable here or presented by
 * someone who does not hold what they are bound to.
 */
describe('userinfo on PostgreSQL', () => {
  let app: TestingModule;
  let client: TestClient;
  let subject: string;
  let dpopKey: { privateKey: CryptoKey; jwk: JWK };
  // unique per run: the directory keeps phone numbers unique
  const phoneNumber = `+44${1_000_000_000 + (randomBytes(4).readUInt32BE() % 9_000_000_000)}`;

  beforeAll(async () => {
    app = await featureTestingModule(TokenModule, config, 'userinfo-int-spec').compile();
    await app.init();
    client = await registerClient(app, {
      grant_types: [CIBA_GRANT, 'refresh_token'],
      scope: 'openid profile email phone address',
    });
    subject = `userinfo-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({
      sub: subject,
      username: subject,
      email: `${subject}@example.com`,
      phone_number: phoneNumber,
      name: 'Userinfo Person',
      email_verified: true,
      locale: 'en-GB',
      address: { country: 'GB' },
    });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    dpopKey = { privateKey, jwk: await exportJWK(publicKey) };
  });

  afterAll(async () => {
    await app?.close();
  });

  async function tokens(scope: string[], extra: { dpopProof?: string; certificate?: X509Certificate } = {}) {
    const { authReqId } = await approvedRequest(app, client, { subject, scope });
    return app
      .get(CibaGrantHandler)
      .handle(clientForm(client, { grant_type: CIBA_GRANT, auth_req_id: authReqId }, extra));
  }

  function proof(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT({
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      nonce: app.get(DpopNonces).current(new Date()),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopKey.jwk })
      .sign(dpopKey.privateKey);
  }

  const userinfo = (
    authorization: string | undefined,
    extra: { method?: string; dpopProof?: string; clientCertificate?: X509Certificate } = {},
  ) =>
    app.get(UserinfoHandler).handle({
      authorization,
      method: extra.method ?? 'GET',
      ...(extra.dpopProof !== undefined && { dpopProof: extra.dpopProof }),
      clientCertificate: extra.clientCertificate ?? null,
      now: new Date(),
    });

  it('answers sub and the claims of each granted scope', async () => {
    const email = await tokens(['openid', 'email']);
    expect(await userinfo(`Bearer ${email.access_token}`)).toEqual({
      sub: subject,
      email: `${subject}@example.com`,
      email_verified: true,
    });

    const all = await tokens(['openid', 'profile', 'email', 'phone', 'address']);
    expect(await userinfo(`bearer ${all.access_token}`, { method: 'POST' })).toEqual({
      sub: subject,
      name: 'Userinfo Person',
      preferred_username: subject,
      locale: 'en-GB',
      updated_at: expect.any(Number),
      email: `${subject}@example.com`,
      email_verified: true,
      phone_number: phoneNumber,
      address: { country: 'GB' },
    });
  });

  it('refuses a missing, malformed, forged or revoked token, and one without openid', async () => {
    expect(await oauthErrorOf(userinfo(undefined))).toBe('invalid_token');
    expect(await oauthErrorOf(userinfo('Basic dXNlcjpwYXNz'))).toBe('invalid_token');
    const issued = await tokens(['openid', 'email']);
    const [header, payload] = issued.access_token.split('.');
    expect(await oauthErrorOf(userinfo(`Bearer ${header}.${payload}.c2ln`))).toBe('invalid_token');
    // a refresh token is no access token
    expect(await oauthErrorOf(userinfo(`Bearer ${issued.refresh_token}`))).toBe('invalid_token');

    const narrowed = await app
      .get(RefreshGrantHandler)
      .handle(
        clientForm(client, { grant_type: 'refresh_token', refresh_token: issued.refresh_token!, scope: 'email' }),
      );
    expect(await oauthErrorOf(userinfo(`Bearer ${narrowed.access_token}`))).toBe('insufficient_scope');

    await app.get(TokenRevocationHandler).handle(clientForm(client, { token: issued.access_token }));
    expect(await oauthErrorOf(userinfo(`Bearer ${issued.access_token}`))).toBe('invalid_token');
  });

  it('takes a DPoP-bound token only with the DPoP scheme and a proof of its key for this request and token', async () => {
    const bound = await tokens(['openid', 'email'], {
      dpopProof: await proof({ htm: 'POST', htu: `${config.issuer}/token` }),
    });
    const ath = createHash('sha256').update(bound.access_token).digest('base64url');
    const forUserinfo = (claims: Record<string, unknown> = {}) =>
      proof({ htm: 'GET', htu: USERINFO_URL, ath, ...claims });

    expect(await userinfo(`DPoP ${bound.access_token}`, { dpopProof: await forUserinfo() })).toMatchObject({
      sub: subject,
    });
    expect(await oauthErrorOf(userinfo(`Bearer ${bound.access_token}`))).toBe('invalid_token');
    expect(await oauthErrorOf(userinfo(`DPoP ${bound.access_token}`))).toBe('invalid_dpop_proof');
    expect(
      await oauthErrorOf(userinfo(`DPoP ${bound.access_token}`, { dpopProof: await forUserinfo({ ath: 'x' }) })),
    ).toBe('invalid_dpop_proof');
    expect(
      await oauthErrorOf(userinfo(`DPoP ${bound.access_token}`, { dpopProof: await forUserinfo({ htm: 'POST' }) })),
    ).toBe('invalid_dpop_proof');
    const replayed = await forUserinfo();
    await userinfo(`DPoP ${bound.access_token}`, { dpopProof: replayed });
    expect(await oauthErrorOf(userinfo(`DPoP ${bound.access_token}`, { dpopProof: replayed }))).toBe(
      'invalid_dpop_proof',
    );

    const bearer = await tokens(['openid']);
    expect(await oauthErrorOf(userinfo(`DPoP ${bearer.access_token}`, { dpopProof: await forUserinfo() }))).toBe(
      'invalid_token',
    );
  });

  it('takes a certificate-bound token only over a connection presenting that certificate', async () => {
    const boundClient = await registerClient(app, { tls_client_certificate_bound_access_tokens: true });
    const [mine, other] = await Promise.all([
      selfSignedClientCertificate({ commonName: 'userinfo-bound' }),
      selfSignedClientCertificate({ commonName: 'userinfo-other' }),
    ]);
    const certificate = new X509Certificate(mine.cert);
    const { authReqId } = await approvedRequest(app, boundClient, { subject, scope: ['openid'] });
    const bound = await app
      .get(CibaGrantHandler)
      .handle(clientForm(boundClient, { grant_type: CIBA_GRANT, auth_req_id: authReqId }, { certificate }));

    expect(await userinfo(`Bearer ${bound.access_token}`, { clientCertificate: certificate })).toEqual({
      sub: subject,
    });
    expect(await oauthErrorOf(userinfo(`Bearer ${bound.access_token}`))).toBe('invalid_token');
    const another = new X509Certificate(other.cert);
    expect(await oauthErrorOf(userinfo(`Bearer ${bound.access_token}`, { clientCertificate: another }))).toBe(
      'invalid_token',
    );
  });

  it('accepts no token of a disabled client, at userinfo or introspection, until it is enabled again', async () => {
    const issued = await tokens(['openid']);
    const registry = app.get(ClientRegistry);
    const context = { actor: 'admin', correlationId: 'userinfo-int-spec', now: new Date() };
    const resourceServer = await registerClient(app, {});
    const introspect = () =>
      app.get(TokenIntrospectionHandler).handle(clientForm(resourceServer, { token: issued.access_token }));

    await registry.disable(client.clientId, 'compromised', context);
    try {
      expect(await oauthErrorOf(userinfo(`Bearer ${issued.access_token}`))).toBe('invalid_token');
      expect(await introspect()).toEqual({ active: false });
    } finally {
      await registry.enable(client.clientId, context);
    }
    expect(await userinfo(`Bearer ${issued.access_token}`)).toEqual({ sub: subject });
    expect(await introspect()).toMatchObject({ active: true });
  });

  it('accepts no token of a disabled user, and refreshes nothing for them, until they are enabled again', async () => {
    const issued = await tokens(['openid']);
    const context = { actor: 'admin', correlationId: 'userinfo-int-spec', now: new Date() };
    const refresh = () =>
      app
        .get(RefreshGrantHandler)
        .handle(clientForm(client, { grant_type: 'refresh_token', refresh_token: issued.refresh_token! }));

    await app.get(UserDirectory).setDisabled(subject, true, null, context);
    try {
      expect(await oauthErrorOf(userinfo(`Bearer ${issued.access_token}`))).toBe('invalid_token');
      expect(await oauthErrorOf(refresh())).toBe('invalid_grant');
    } finally {
      await app.get(UserDirectory).setDisabled(subject, false, null, context);
    }
    expect(await userinfo(`Bearer ${issued.access_token}`)).toEqual({ sub: subject });
    await expect(refresh()).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('accepts no token of a deleted user, at userinfo or introspection, and refreshes nothing for them', async () => {
    const deleted = `userinfo-deleted-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub: deleted });
    const { authReqId } = await approvedRequest(app, client, { subject: deleted, scope: ['openid'] });
    const issued = await app
      .get(CibaGrantHandler)
      .handle(clientForm(client, { grant_type: CIBA_GRANT, auth_req_id: authReqId }));
    const resourceServer = await registerClient(app, {});
    const introspect = (token: string) =>
      app.get(TokenIntrospectionHandler).handle(clientForm(resourceServer, { token }));
    expect(await introspect(issued.access_token)).toMatchObject({ active: true, sub: deleted });

    const context = { actor: 'admin', correlationId: 'userinfo-int-spec', now: new Date() };
    expect(await app.get(UserDirectory).deleteUser(deleted, context)).toBe(true);

    expect(await oauthErrorOf(userinfo(`Bearer ${issued.access_token}`))).toBe('invalid_token');
    expect(await introspect(issued.access_token)).toEqual({ active: false });
    expect(await introspect(issued.refresh_token!)).toEqual({ active: false });
    const refresh = app
      .get(RefreshGrantHandler)
      .handle(clientForm(client, { grant_type: 'refresh_token', refresh_token: issued.refresh_token! }));
    expect(await oauthErrorOf(refresh)).toBe('invalid_grant');
  });
});
