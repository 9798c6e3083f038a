import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { type BackchannelApi, CIBA_GRANT, type TestUser } from './backchannel-api.js';
import type { RunningStack } from './stacks.js';

/** The error code openid-client raised for an OAuth error response. */
async function oauthErrorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return error.error;
    // a 401 carries a WWW-Authenticate challenge, which openid-client raises as such; the body says the error
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      return ((await error.response.json()) as { error: string }).error;
    }
    throw error;
  }
  throw new Error('the call succeeded');
}

/**
 * Tokens after the CIBA grant, with openid-client as the client: refresh with rotation and reuse
 * detection, a DPoP-bound poll flow with the server's nonce, introspection and revocation. Runs
 * inside a poll-flow describe, on its stack.
 */
export function tokenLifecycleScenarios(running: () => { stack: RunningStack; api: BackchannelApi }): void {
  /** A client registered for the refresh_token grant, as openid-client sees it after discovery. */
  async function refreshingClient(clientName: string, metadata: Record<string, unknown> = {}) {
    const { stack, api } = running();
    const client = await api.registerClient({
      client_name: clientName,
      grant_types: [CIBA_GRANT, 'refresh_token'],
      ...metadata,
    });
    const config = await oidc.discovery(
      new URL(stack.baseUrl),
      client.clientId,
      { id_token_signed_response_alg: 'ES256' },
      oidc.ClientSecretBasic(client.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    return { client, config };
  }

  /** A request the user approves on their device, polled to its tokens by openid-client. */
  async function approvedTokens(
    config: oidc.Configuration,
    clientName: string,
    user: TestUser,
    options?: oidc.DPoPOptions,
  ) {
    const { api } = running();
    const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid email', login_hint: user.email });
    const onDevice = await api.pendingOnDevice(user, clientName);
    expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
    return oidc.pollBackchannelAuthenticationGrant(config, ack, undefined, options);
  }

  it('rotates refresh tokens (userinfo answering the granted claims), and a replayed one revokes the whole family and its access tokens', async () => {
    const { api } = running();
    const { config } = await refreshingClient('Refreshing client');
    const user = await api.createUserWithDevice();
    const tokens = await approvedTokens(config, 'Refreshing client', user);
    expect(tokens.refresh_token).toMatch(/^[\w-]{43}$/);

    // userinfo answers the claims of the granted scopes (openid email)
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.sub)).toEqual({
      sub: user.sub,
      email: user.email,
    });

    const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(rotated.access_token)).toMatchObject({ sub: user.sub, scope: 'openid email' });
    expect(await oidc.tokenIntrospection(config, rotated.access_token)).toMatchObject({
      active: true,
      sub: user.sub,
      token_type: 'Bearer',
    });

    // the first token again: a replay; the family, its newest token and its access tokens go
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, rotated.refresh_token!))).toBe('invalid_grant');
    expect(await oidc.tokenIntrospection(config, rotated.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(config, rotated.refresh_token!)).toEqual({ active: false });
  });

  it('asks for resources (repeated), a payment and a claim through the public edge: the device sees them, the tokens carry them', async () => {
    const { stack, api } = running();
    const API = 'https://api.example.com/';
    const LEDGER = 'urn:example:ledger';
    const typeWords = await fetch(`${stack.baseUrl}/admin/v1/authorization-detail-types/payment_initiation`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'Pay someone' }),
    });
    expect([200, 201]).toContain(typeWords.status);
    const { config } = await refreshingClient('Paying client', {
      authorization_details_types: ['payment_initiation'],
      backchannel_allowed_resources: [API, LEDGER],
    });
    const user = await api.createUserWithDevice();
    const payment = { type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '9.99' } };
    const parameters = new URLSearchParams({ scope: 'openid email', login_hint: user.email });
    parameters.append('resource', API);
    parameters.append('resource', LEDGER);
    parameters.append('authorization_details', JSON.stringify([payment]));
    parameters.append('claims', JSON.stringify({ id_token: { email: null } }));
    const ack = await oidc.initiateBackchannelAuthentication(config, parameters);

    const onDevice = (await api.pendingOnDevice(user, 'Paying client')) as unknown as Record<string, unknown>;
    expect(onDevice).toMatchObject({
      authorization_details: [payment],
      claims: { userinfo: [], id_token: ['email'] },
    });
    expect((await api.decide(user, String(onDevice.request_id), { decision: 'approve' })).status).toBe(204);
    // the token request narrows the audience to one of the resources
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, ack, { resource: LEDGER });
    expect(tokens.authorization_details).toEqual([payment]);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: LEDGER, authorization_details: [payment] });
    expect(decodeJwt(tokens.id_token!)).toMatchObject({ email: user.email });
    // not for the issuer: userinfo refuses it, introspection answers for it
    expect(await oauthErrorOf(oidc.fetchUserInfo(config, tokens.access_token, user.sub))).toBe('invalid_token');
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, aud: LEDGER });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { resource: API });
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: API, authorization_details: [payment] });
  });

  it('revokes a refresh token with its family, and introspects only what is the client’s own', async () => {
    const { api } = running();
    const { config } = await refreshingClient('Revoking client');
    const other = await refreshingClient('Another client');
    const user = await api.createUserWithDevice();
    const tokens = await approvedTokens(config, 'Revoking client', user);

    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({
      active: true,
      client_id: config.clientMetadata().client_id,
    });
    // another client learns nothing of this client's refresh token, and cannot revoke it
    expect(await oidc.tokenIntrospection(other.config, tokens.refresh_token!)).toEqual({ active: false });
    await oidc.tokenRevocation(other.config, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true });

    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
    // revoking an unknown token is not an error (RFC 7009 §2.2)
    await oidc.tokenRevocation(config, 'not-a-token');
  });

  it('binds tokens to a DPoP key: a poll flow through the server nonce, then refreshes with the same key only', async () => {
    const { api } = running();
    const { config } = await refreshingClient('DPoP client', { dpop_bound_access_tokens: true });
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(config, keyPair);
    const user = await api.createUserWithDevice();

    // without a proof the client registered for DPoP is refused
    const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: user.email });
    expect(await oauthErrorOf(oidc.pollBackchannelAuthenticationGrant(config, ack))).toBe('invalid_dpop_proof');
    const refused = await api.pendingOnDevice(user, 'DPoP client');
    expect((await api.decide(user, refused.request_id, { decision: 'deny' })).status).toBe(204);

    // openid-client answers use_dpop_nonce by retrying with the nonce it was given
    const tokens = await approvedTokens(config, 'DPoP client', user, { DPoP: dpop });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt },
    });

    // at userinfo too, the token goes with a proof of its key (openid-client adds ath and the nonce)
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.sub, { DPoP: dpop })).toEqual({
      sub: user.sub,
      email: user.email,
    });

    const otherKey = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    expect(
      await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: otherKey })),
    ).toBe('invalid_grant');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
  });

  it('disables a client through the admin API: refused at once with its tokens, until enabled; rotates its secret', async () => {
    const { stack, api } = running();
    const { client, config } = await refreshingClient('Disabled client');
    const user = await api.createUserWithDevice();
    const tokens = await approvedTokens(config, 'Disabled client', user);
    const admin = { authorization: `Bearer ${stack.adminToken}` };

    const disabled = await api.postJson(
      `/admin/v1/clients/${client.clientId}/disable`,
      { reason: 'lost laptop' },
      admin,
    );
    expect(disabled.status).toBe(204);
    expect((await api.getAdmin(`/admin/v1/clients/${client.clientId}`)).body).toMatchObject({
      disabled_at: expect.any(String),
    });
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_client');
    expect(
      await oauthErrorOf(oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: user.email })),
    ).toBe('invalid_client');
    const userinfo = await api.get('/userinfo', { authorization: `Bearer ${tokens.access_token}` });
    expect(userinfo.status).toBe(401);
    expect(userinfo.body).toMatchObject({ error: 'invalid_token' });

    expect((await api.postJson(`/admin/v1/clients/${client.clientId}/enable`, {}, admin)).status).toBe(204);
    const rotated = await api.postJson(`/admin/v1/clients/${client.clientId}/secret`, { grace_seconds: 60 }, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    // the old secret still serves in the grace period, and so does the new one
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const withNewSecret = await oidc.discovery(
      new URL(stack.baseUrl),
      client.clientId,
      { id_token_signed_response_alg: 'ES256' },
      oidc.ClientSecretBasic(String(rotated.body.client_secret)),
      { execute: [oidc.allowInsecureRequests] },
    );
    await oidc.refreshTokenGrant(withNewSecret, refreshed.refresh_token!);
  });

  it('revokes a lost device through the admin API: its token stops working at once, the others keep working', async () => {
    const { stack, api } = running();
    const admin = { authorization: `Bearer ${stack.adminToken}` };
    const user = await api.createUserWithDevice();
    const spare = await api.postJson(`/admin/v1/users/${user.sub}/devices`, { name: 'Spare phone' }, admin);
    const listed = await api.getAdmin(`/admin/v1/users/${user.sub}/devices`);
    expect(listed.body).toEqual([
      expect.objectContaining({ name: 'E2E phone', answer_door: 'device_token' }),
      expect.objectContaining({ device_id: spare.body.device_id, name: 'Spare phone' }),
    ]);
    const lost = (listed.body as unknown as { device_id: string }[])[0]!.device_id;

    const revoked = await fetch(`${stack.baseUrl}/admin/v1/users/${user.sub}/devices/${lost}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(revoked.status).toBe(204);
    expect((await api.deviceRequests(user)).status).toBe(401);
    expect((await api.deviceRequests({ ...user, deviceToken: String(spare.body.device_token) })).status).toBe(200);
    const again = await fetch(`${stack.baseUrl}/admin/v1/users/${user.sub}/devices/${lost}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(again.status).toBe(404);
  });

  it('disables a user through the admin API: their open request ends denied, they are asked nothing more, their tokens stop', async () => {
    const { stack, api } = running();
    const { config } = await refreshingClient('User-disabling client');
    const user = await api.createUserWithDevice();
    const tokens = await approvedTokens(config, 'User-disabling client', user);
    const open = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: user.email });
    await api.pendingOnDevice(user, 'User-disabling client');

    const disabled = await api.postJson(
      `/admin/v1/users/${user.sub}/disable`,
      { reason: 'account closed' },
      { authorization: `Bearer ${stack.adminToken}` },
    );
    expect(disabled).toMatchObject({ status: 200, body: { ended_requests: 1 } });
    expect(await oauthErrorOf(oidc.pollBackchannelAuthenticationGrant(config, open))).toBe('access_denied');
    expect(
      await oauthErrorOf(oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: user.email })),
    ).toBe('access_denied');
    expect((await api.deviceRequests(user)).status).toBe(401);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
  });

  it('changes a user by merge patch and deletes them through the admin API: their claims at userinfo, then their tokens stop and their sub is never reassigned', async () => {
    const { api } = running();
    const { config } = await refreshingClient('User-deleting client');
    const user = await api.createUserWithDevice();
    const patched = await api.patchAdmin(`/admin/v1/users/${user.sub}`, { email_verified: true, nickname: 'Del' });
    expect(patched).toMatchObject({ status: 200, body: { email_verified: true, nickname: 'Del' } });
    const tokens = await approvedTokens(config, 'User-deleting client', user);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.sub)).toEqual({
      sub: user.sub,
      email: user.email,
      email_verified: true,
    });

    expect((await api.deleteAdmin(`/admin/v1/users/${user.sub}`)).status).toBe(204);

    expect(await oauthErrorOf(oidc.fetchUserInfo(config, tokens.access_token, user.sub))).toBe('invalid_token');
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect(await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
    expect((await api.deviceRequests(user)).status).toBe(401);
    expect((await api.getAdmin(`/admin/v1/users/${user.sub}`)).status).toBe(404);
    expect(
      (
        await api.postJson(
          '/admin/v1/users',
          { sub: user.sub },
          { authorization: `Bearer ${running().stack.adminToken}` },
        )
      ).status,
    ).toBe(409);
  });
}
