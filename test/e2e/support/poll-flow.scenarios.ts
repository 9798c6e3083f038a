import { setTimeout as sleep } from 'node:timers/promises';
import { verifyJwt } from '@backchannel/crypto';
import { clientAssertion, newClientKey, signedAuthenticationRequest } from '@backchannel/testing';
import { importPKCS8 } from 'jose';
import * as oidc from 'openid-client';
import { BackchannelApi, CIBA_GRANT, type TestClient, type TestUser, basicAuth } from './backchannel-api.js';
import { expectOAuthError, metricSum } from './expectations.js';
import { waitFor } from './service-process.js';
import type { RunningStack } from './stacks.js';
import { tokenLifecycleScenarios } from './token-lifecycle.scenarios.js';

/**
 * The complete CIBA poll flow, black-box through the public API of a running stack: the same
 * scenarios run against the distributed services over Kafka and against `npm start`.
 */
export function describePollFlow(name: string, start: () => Promise<RunningStack>): void {
  describe(name, () => {
    let stack: RunningStack;
    let api: BackchannelApi;
    let client: TestClient;

    beforeAll(async () => {
      stack = await start();
      api = new BackchannelApi(stack);
      client = await api.registerClient();
    });

    afterAll(async () => {
      await stack?.stop();
    });

    async function startRequest(user: TestUser, extra: Record<string, string> = {}) {
      const response = await api.bcAuthorize(client, { scope: 'openid profile', login_hint: user.email, ...extra });
      expect(response.status).toBe(200);
      return response.body as { auth_req_id: string; expires_in: number; interval: number };
    }

    const pendingOnDevice = (user: TestUser, clientName = 'E2E client') => api.pendingOnDevice(user, clientName);

    /** PUT and DELETE, which the API helper has no methods for: the status and the JSON body. */
    async function fetchJson(method: 'PUT' | 'DELETE', path: string, headers: Record<string, string>, json?: unknown) {
      const response = await fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: { ...headers, ...(json !== undefined && { 'content-type': 'application/json' }) },
        ...(json !== undefined && { body: JSON.stringify(json) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    }

    it('publishes CIBA discovery metadata and the signing keys', async () => {
      const discovery = await api.get('/.well-known/openid-configuration');
      expect(discovery.status).toBe(200);
      expect(discovery.body).toMatchObject({
        issuer: stack.baseUrl,
        backchannel_authentication_endpoint: `${stack.baseUrl}/bc-authorize`,
        token_endpoint: `${stack.baseUrl}/token`,
        jwks_uri: `${stack.baseUrl}/jwks`,
        introspection_endpoint: `${stack.baseUrl}/introspect`,
        revocation_endpoint: `${stack.baseUrl}/revoke`,
        grant_types_supported: [CIBA_GRANT, 'refresh_token'],
        backchannel_token_delivery_modes_supported: ['poll', 'ping', 'push'],
        backchannel_user_code_parameter_supported: true,
        dpop_signing_alg_values_supported: ['ES256', 'PS256', 'EdDSA'],
      });
      const jwks = await api.get('/jwks');
      expect((jwks.body.keys as unknown[]).length).toBeGreaterThan(0);
    });

    it('approves: the device shows the request, the client polls and gets tokens once', async () => {
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user, { binding_message: 'Pay 12 € to Café <b>Ünïcode</b> 🧾' });
      expect(ack.auth_req_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(ack.interval).toBe(1);
      expect(ack.expires_in).toBe(60);

      const pending = await api.token(client, ack.auth_req_id);
      expectOAuthError(pending, 400, 'authorization_pending');

      const onDevice = await pendingOnDevice(user);
      expect(onDevice).toMatchObject({
        client_id: client.clientId,
        scope: 'openid profile',
        binding_message: 'Pay 12 € to Café <b>Ünïcode</b> 🧾',
      });
      expect(onDevice.request_id).not.toBe(ack.auth_req_id);
      expect(Date.parse(onDevice.expires_at)).toBeGreaterThan(Date.parse(onDevice.created_at));

      expect((await api.decide(user, onDevice.request_id, { decision: 'approve', scope: 'openid' })).status).toBe(204);
      expect((await api.decide(user, onDevice.request_id, { decision: 'deny' })).status).toBe(409);
      expect((await api.deviceRequests(user)).body).toEqual([]);

      await sleep(1100); // respect the interval
      const tokens = await api.token(client, ack.auth_req_id);
      expect(tokens.status).toBe(200);
      expect(tokens.headers.get('cache-control')).toBe('no-store');
      expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid' });
      const jwks = (await api.get('/jwks')).body as never;
      const idToken = await verifyJwt(String(tokens.body.id_token), jwks, {
        issuer: stack.baseUrl,
        audience: client.clientId,
      });
      expect(idToken.sub).toBe(user.sub);
      const accessToken = await verifyJwt(String(tokens.body.access_token), jwks, {
        issuer: stack.baseUrl,
        audience: stack.baseUrl,
        typ: 'at+jwt',
      });
      expect(accessToken).toMatchObject({ sub: user.sub, client_id: client.clientId, scope: 'openid' });

      // a retry within the window (as after a lost response) is answered the same tokens, not new ones
      const retried = await api.token(client, ack.auth_req_id);
      expect(retried.status).toBe(200);
      expect(retried.body).toEqual(tokens.body);
    });

    it('serves a private_key_jwt client using openid-client: a complete poll flow, each assertion used once', async () => {
      const key = newClientKey('ES256');
      const { clientId } = await api.registerKeyClient({ client_name: 'Key client', jwks: { keys: [key.publicJwk] } });
      const privateKey = await importPKCS8(key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'ES256');
      const config = await oidc.discovery(
        new URL(stack.baseUrl),
        clientId,
        { id_token_signed_response_alg: 'ES256' },
        oidc.PrivateKeyJwt({ key: privateKey, kid: key.kid }),
        { execute: [oidc.allowInsecureRequests] },
      );
      expect(config.serverMetadata()).toMatchObject({
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'client_secret_jwt',
          'private_key_jwt',
        ],
        token_endpoint_auth_signing_alg_values_supported: ['HS256', 'PS256', 'ES256', 'EdDSA'],
      });

      const user = await api.createUserWithDevice();
      const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: user.email });
      const onDevice = await pendingOnDevice(user, 'Key client');
      expect(onDevice.client_id).toBe(clientId);
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
      // openid-client signs a fresh assertion per call, verifies the ID token against /jwks
      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, ack);
      expect(tokens.claims()).toMatchObject({ iss: stack.baseUrl, sub: user.sub, aud: clientId });

      // The ID token names the same user again, as an id_token_hint.
      const again = await oidc.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        id_token_hint: tokens.id_token!,
        binding_message: 'Once more',
      });
      expect(again.auth_req_id).not.toBe(ack.auth_req_id);
      expect(await pendingOnDevice(user, 'Key client')).toMatchObject({ binding_message: 'Once more' });

      // The same assertion twice: the second is refused, at either endpoint.
      const assertion = await clientAssertion(key, { clientId, audience: `${stack.baseUrl}/token` });
      const form = {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      };
      const first = await api.postForm('/bc-authorize', { ...form, scope: 'openid', login_hint: user.email });
      expect(first.status).toBe(200);
      const replayed = await api.postForm('/token', {
        ...form,
        grant_type: CIBA_GRANT,
        auth_req_id: String(first.body.auth_req_id),
      });
      expectOAuthError(replayed, 401, 'invalid_client');
      expect(replayed.body.error_description).toBe('The client assertion was already used: each jti is accepted once.');

      // RS256 is no FAPI algorithm, even with a registered RSA key.
      const rsa = newClientKey('RS256');
      const rsaClient = await api.registerKeyClient({
        client_name: 'RSA client',
        jwks: { keys: [{ ...rsa.publicJwk }] },
      });
      const rs256 = await clientAssertion(rsa, { clientId: rsaClient.clientId, audience: stack.baseUrl });
      const refused = await api.postForm('/bc-authorize', {
        client_assertion_type: form.client_assertion_type,
        client_assertion: rs256,
        scope: 'openid',
        login_hint: user.email,
      });
      expectOAuthError(refused, 401, 'invalid_client');
    });

    it('takes signed authentication requests from a client that registered their algorithm, each once', async () => {
      const key = newClientKey('PS256');
      const { clientId } = await api.registerKeyClient({
        client_name: 'Signing client',
        jwks: { keys: [key.publicJwk] },
        backchannel_authentication_request_signing_alg: 'PS256',
      });
      const discovery = await api.get('/.well-known/openid-configuration');
      expect(discovery.body.backchannel_authentication_request_signing_alg_values_supported).toEqual([
        'PS256',
        'ES256',
        'EdDSA',
      ]);
      const authentication = async () => ({
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(key, { clientId, audience: stack.baseUrl }),
      });
      const user = await api.createUserWithDevice();
      const request = await signedAuthenticationRequest(key, {
        clientId,
        issuer: stack.baseUrl,
        params: { scope: 'openid', login_hint: user.email, binding_message: 'Sign 42', requested_expiry: 60 },
      });

      const ack = await api.postForm('/bc-authorize', { ...(await authentication()), request });
      expect(ack.status).toBe(200);
      const onDevice = await pendingOnDevice(user, 'Signing client');
      expect(onDevice).toMatchObject({ client_id: clientId, binding_message: 'Sign 42' });
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
      const tokens = await api.postForm('/token', {
        ...(await authentication()),
        grant_type: CIBA_GRANT,
        auth_req_id: String(ack.body.auth_req_id),
      });
      expect(tokens.status).toBe(200);

      const replayed = await api.postForm('/bc-authorize', { ...(await authentication()), request });
      expectOAuthError(replayed, 400, 'invalid_request');
      expect(replayed.body.error_description).toBe(
        'The signed authentication request was already used: each jti is accepted once.',
      );
      const unsigned = await api.postForm('/bc-authorize', {
        ...(await authentication()),
        scope: 'openid',
        login_hint: user.email,
      });
      expectOAuthError(unsigned, 400, 'invalid_request');
    });

    it('asks the user_code of a client that registered for it, set for the user through the admin API', async () => {
      const codeClient = await api.registerClient({
        client_name: 'Code client',
        backchannel_user_code_parameter: true,
      });
      const user = await api.createUserWithDevice();
      const admin = { authorization: `Bearer ${stack.adminToken}` };
      expect((await api.postJson(`/admin/v1/users/${user.sub}/user-code`, { user_code: '4711' }, admin)).status).toBe(
        204,
      );
      expectOAuthError(
        await api.bcAuthorize(codeClient, { scope: 'openid', login_hint: user.email }),
        400,
        'missing_user_code',
      );
      expectOAuthError(
        await api.bcAuthorize(codeClient, { scope: 'openid', login_hint: user.email, user_code: '0000' }),
        400,
        'invalid_user_code',
      );
      const ack = await api.bcAuthorize(codeClient, { scope: 'openid', login_hint: user.email, user_code: '4711' });
      expect(ack.status).toBe(200);
    });

    it('refuses a device-token approval of a request that asks for phr, and claims the device acr otherwise', async () => {
      const discovery = await api.get('/.well-known/openid-configuration');
      expect(discovery.body.acr_values_supported).toEqual(['urn:backchannel:acr:device', 'phr']);
      const user = await api.createUserWithDevice();
      await startRequest(user, { acr_values: 'phr' });
      const strict = await pendingOnDevice(user);
      expect(strict.acr_values).toEqual(['phr']);
      const refused = await api.decide(user, strict.request_id, { decision: 'approve' });
      expect(refused.status).toBe(403);
      expect(refused.body).toHaveProperty(
        'error_description',
        'The client asked for a stronger authentication than this approval: approve with a user-verified passkey.',
      );

      const other = await api.createUserWithDevice();
      const ack = await startRequest(other, { acr_values: 'urn:backchannel:acr:device' });
      const onDevice = await pendingOnDevice(other);
      expect((await api.decide(other, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
      const tokens = await api.token(client, ack.auth_req_id);
      const jwks = (await api.get('/jwks')).body as { keys: Record<string, unknown>[] };
      const idToken = await verifyJwt(String(tokens.body.id_token), jwks, {
        issuer: stack.baseUrl,
        audience: client.clientId,
      });
      expect(idToken.acr).toBe('urn:backchannel:acr:device');
    });

    it('registers a client dynamically (RFC 7591) and lets it read, update and delete itself (RFC 7592)', async () => {
      const admin = { authorization: `Bearer ${stack.adminToken}` };
      const metadata = { client_name: 'Dynamic client', backchannel_token_delivery_mode: 'poll', response_types: [] };
      expectOAuthError(await api.postJson('/register', metadata), 401, 'invalid_token');
      const issued = await api.postJson('/admin/v1/initial-access-tokens', { expires_in: 600 }, admin);
      expect(issued.status).toBe(201);
      const initial = { authorization: `Bearer ${String(issued.body.initial_access_token)}` };
      const registered = await api.postJson('/register', metadata, initial);
      expect(registered.status).toBe(201);
      expect(registered.headers.get('cache-control')).toBe('no-store');
      const clientId = String(registered.body.client_id);
      expect(registered.body).toMatchObject({
        client_name: 'Dynamic client',
        client_secret: expect.any(String),
        registration_client_uri: `${stack.baseUrl}/register/${clientId}`,
      });
      // an initial access token registers one client
      expectOAuthError(await api.postJson('/register', metadata, initial), 401, 'invalid_token');

      const manage = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
      const read = await api.get(`/register/${clientId}`, manage(registered.body.registration_access_token));
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty('client_secret');
      // each use rotates the registration access token: the old one is spent
      expectOAuthError(
        await api.get(`/register/${clientId}`, manage(registered.body.registration_access_token)),
        401,
        'invalid_token',
      );
      const dynamicClient = { clientId, clientSecret: String(registered.body.client_secret) };
      const user = await api.createUserWithDevice();
      expect((await api.bcAuthorize(dynamicClient, { scope: 'openid', login_hint: user.email })).status).toBe(200);

      const updatedResponse = await fetchJson(
        'PUT',
        `/register/${clientId}`,
        manage(read.body.registration_access_token),
        {
          ...metadata,
          client_id: clientId,
          client_name: 'Renamed client',
        },
      );
      expect(updatedResponse.status).toBe(200);
      expect(updatedResponse.body).toMatchObject({ client_name: 'Renamed client' });
      expect(updatedResponse.body).not.toHaveProperty('client_secret'); // the secret still serves

      const deleted = await fetchJson(
        'DELETE',
        `/register/${clientId}`,
        manage(updatedResponse.body.registration_access_token),
      );
      expect(deleted.status).toBe(204);
      // within CLIENT_CACHE_SECONDS every service has forgotten it
      await waitFor('the deleted client to be refused', async () => {
        const response = await api.bcAuthorize(dynamicClient, { scope: 'openid', login_hint: user.email });
        return response.status === 401 ? response : undefined;
      });
    });

    it('counts a flow in its metrics: the events it recorded, the HTTP requests, the pool, the readers of the log', async () => {
      const before = await stack.metrics();
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user);
      const onDevice = await pendingOnDevice(user);
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve', scope: 'openid' })).status).toBe(204);
      await sleep(1100); // respect the interval
      expect((await api.token(client, ack.auth_req_id)).status).toBe(200);

      const after = await stack.metrics();
      const moved = (name: string, labels: Record<string, string>) =>
        metricSum(after, name, labels) - metricSum(before, name, labels);
      for (const type of ['AuthRequested', 'ConsentGiven', 'TokensIssued']) {
        expect(moved('backchannel_events_recorded_total', { type })).toBeGreaterThanOrEqual(1);
      }
      expect(
        moved('backchannel_http_request_duration_seconds_count', { route: '/token', status_code: '200' }),
      ).toBeGreaterThanOrEqual(1);
      expect(after).toMatch(/^backchannel_db_pool_connections\{[^}]*state="total"[^}]*\} [1-9]/m);
      expect(after).toMatch(/^backchannel_log_reader_lag_events\{/m);
      expect(after).toContain('backchannel_nodejs_eventloop_lag_seconds');
    });

    it('writes no secret to its logs: no client secret, auth_req_id, token or device token', async () => {
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user);
      const onDevice = await pendingOnDevice(user);
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
      const tokens = await api.token(client, ack.auth_req_id);
      expect(tokens.status).toBe(200);
      // a failed attempt with the secret too: errors must not echo credentials either
      await api.token({ ...client, clientSecret: `${client.clientSecret}x` }, ack.auth_req_id);
      const logs = stack.logs();
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of [
        client.clientSecret,
        ack.auth_req_id,
        String(tokens.body.access_token),
        String(tokens.body.id_token),
        user.deviceToken,
      ]) {
        expect(logs).not.toContain(secret);
      }
    });

    it('denies: the client gets access_denied (400 at the token endpoint)', async () => {
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user);
      const onDevice = await pendingOnDevice(user);
      expect((await api.decide(user, onDevice.request_id, { decision: 'deny' })).status).toBe(204);
      expectOAuthError(await api.token(client, ack.auth_req_id), 400, 'access_denied');
    });

    it('expires: the client gets expired_token and a late approval is refused', async () => {
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user, { requested_expiry: '2' });
      expect(ack.expires_in).toBe(2);
      const onDevice = await pendingOnDevice(user);
      await sleep(2100);
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(410);
      expectOAuthError(await api.token(client, ack.auth_req_id), 400, 'expired_token');
    });

    it('slows down a client that polls faster than the interval, never on the first poll', async () => {
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user);
      expectOAuthError(await api.token(client, ack.auth_req_id), 400, 'authorization_pending');
      expectOAuthError(await api.token(client, ack.auth_req_id), 400, 'slow_down');
      // the interval is now 1 + 5 s: a poll 2 s later is still too fast
      await sleep(2000);
      expectOAuthError(await api.token(client, ack.auth_req_id), 400, 'slow_down');
    });

    it('registers clients through the admin API and never shows the secret again', async () => {
      const shown = await api.getAdmin(`/admin/v1/clients/${client.clientId}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ client_id: client.clientId, backchannel_token_delivery_mode: 'poll' });
      expect(shown.body).not.toHaveProperty('client_secret');
      expect((await api.get(`/admin/v1/clients/${client.clientId}`)).status).toBe(401);
      expect((await api.getAdmin('/admin/v1/clients/no-such-client')).status).toBe(404);
      const refused = await api.postJson(
        '/admin/v1/clients',
        { client_name: 'Push client', backchannel_token_delivery_mode: 'push' },
        { authorization: `Bearer ${stack.adminToken}` },
      );
      expectOAuthError(refused, 400, 'invalid_client_metadata');
    });

    it('denies up front a request for a user with no device to approve on (403)', async () => {
      const user = await api.createUser();
      expectOAuthError(
        await api.bcAuthorize(client, { scope: 'openid', login_hint: user.email }),
        403,
        'access_denied',
      );
    });

    it('refuses an auth_req_id to a client it was not issued to, and bad credentials', async () => {
      const user = await api.createUserWithDevice();
      const ack = await startRequest(user);
      const other = await api.registerClient({ client_name: 'Another client' });
      expectOAuthError(await api.token(other, ack.auth_req_id), 400, 'invalid_grant');

      const wrongSecret = await api.token({ ...client, clientSecret: 'not-the-secret' }, ack.auth_req_id);
      expectOAuthError(wrongSecret, 401, 'invalid_client');
      expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic/);
      expectOAuthError(await api.token(client, 'unknown-auth-req-id'), 400, 'invalid_grant');
    });

    it('refuses JSON with a lone surrogate with 400 at every JSON edge, where it was a 500', async () => {
      const user = await api.createUserWithDevice();
      const admin = { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' };
      for (const [path, body] of [
        ['/admin/v1/clients', '{"client_name":"\\ud800","backchannel_token_delivery_mode":"poll"}'],
        [
          `/admin/v1/users/${user.sub}/devices`,
          '{"name":"hook","channel":"webhook","webhook_url":"https://example.com/\\ud800"}',
        ],
        ['/admin/v1/users', '{"sub":"s\\ud800"}'],
      ] as const) {
        const response = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: admin, body });
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
        expect(await response.json()).toMatchObject({ error: 'invalid_request' });
      }
    });

    it('answers bad authentication requests with spec errors', async () => {
      const user = await api.createUserWithDevice();
      const auth = { authorization: basicAuth(client) };
      expectOAuthError(await api.postForm('/bc-authorize', { login_hint: user.email }, auth), 400, 'invalid_request');
      expectOAuthError(
        await api.postForm('/bc-authorize', { scope: 'openid', login_hint: 'nobody@example.test' }, auth),
        400,
        'unknown_user_id',
      );
      expectOAuthError(
        await api.postForm('/bc-authorize', { scope: 'openid', login_hint: user.email, id_token_hint: 'x' }, auth),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await api.postForm('/bc-authorize', `scope=openid&login_hint=${user.email}&login_hint=${user.email}`, auth),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await api.postForm('/bc-authorize', { scope: 'openid admin', login_hint: user.email }, auth),
        400,
        'invalid_scope',
      );
      expectOAuthError(
        await api.postJson('/bc-authorize', { scope: 'openid', login_hint: user.email }, auth),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await api.postForm('/token', { grant_type: 'password', auth_req_id: 'x' }, auth),
        400,
        'unsupported_grant_type',
      );
      expectOAuthError(
        await api.postForm('/bc-authorize', { scope: 'openid', login_hint: user.email }),
        401,
        'invalid_client',
      );
      // a NUL reaching PostgreSQL would be a server error: it is refused at the edge
      expectOAuthError(
        await api.postForm('/bc-authorize', `scope=openid&login_hint=a%00b`, auth),
        400,
        'invalid_request',
      );
      expectOAuthError(
        await api.token({ clientId: 'client\u0000id', clientSecret: 'x' }, 'any'),
        401,
        'invalid_client',
      );
      const wrongMethod = await api.get('/bc-authorize');
      expectOAuthError(wrongMethod, 405, 'method_not_allowed');
      expect(wrongMethod.headers.get('allow')).toBe('POST');
    });

    it("keeps one user from seeing or deciding another user's request", async () => {
      const alice = await api.createUserWithDevice();
      const mallory = await api.createUserWithDevice();
      await startRequest(alice);
      const onDevice = await pendingOnDevice(alice);
      expect((await api.deviceRequests(mallory)).body).toEqual([]);
      expect((await api.decide(mallory, onDevice.request_id, { decision: 'approve' })).status).toBe(404);
      expect((await api.decide(alice, 'req_unknown', { decision: 'approve' })).status).toBe(404);
      expect((await api.decide(alice, 'req%00', { decision: 'approve' })).status).toBe(400);
      expect(
        (
          await api.postJson(
            '/admin/v1/users',
            { sub: 'nul\u0000sub' },
            { authorization: `Bearer ${stack.adminToken}` },
          )
        ).status,
      ).toBe(400);
      expect((await api.decide(alice, onDevice.request_id, { decision: 'maybe' })).status).toBe(400);
      expect((await api.deviceRequests({ ...alice, deviceToken: 'forged' })).status).toBe(401);
    });

    tokenLifecycleScenarios(() => ({ stack, api }));
  });
}
