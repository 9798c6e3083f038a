import { newClientKey, signedAuthenticationRequest } from '@backchannel/testing';
import { BackchannelApi, CIBA_GRANT } from './support/backchannel-api.js';
import { expectOAuthError } from './support/expectations.js';
import { NotificationEndpoints } from './support/notification-endpoints.js';
import { type RunningStack, startEmbeddedStack } from './support/stacks.js';
import { type TlsEdge, certificateBinding, createTlsEdge } from './support/tls-edge.js';

/**
 * A server that follows the FAPI-CIBA profile for every client (BACKCHANNEL_FAPI_CIBA=true), over
 * real TLS: what it announces, what it refuses at registration and at the request, and a complete
 * ping flow whose access token is bound to the client's certificate.
 */
describe('the FAPI-CIBA profile, server-wide, against npm start', () => {
  let tls: TlsEdge;
  let endpoints: NotificationEndpoints;
  let stack: RunningStack;
  let api: BackchannelApi;
  const admin = () => ({ authorization: `Bearer ${stack.adminToken}` });

  beforeAll(async () => {
    [tls, endpoints] = await Promise.all([createTlsEdge(), NotificationEndpoints.start()]);
    stack = await startEmbeddedStack({ tls, env: { BACKCHANNEL_FAPI_CIBA: 'true', ...endpoints.stackEnv() } });
    api = new BackchannelApi(stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([tls?.close(), endpoints?.close()]);
  });

  it('announces only what the profile allows', async () => {
    const discovery = await api.get('/.well-known/openid-configuration');
    expect(discovery.body).toMatchObject({
      token_endpoint_auth_methods_supported: ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
      backchannel_authentication_request_signing_alg_values_supported: ['PS256', 'ES256'],
      backchannel_token_delivery_modes_supported: ['poll', 'ping'],
      tls_client_certificate_bound_access_tokens: true,
    });
  });

  it('refuses at registration what the profile forbids, saying what', async () => {
    const key = newClientKey('ES256');
    const conforming = {
      client_name: 'FAPI bank',
      grant_types: [CIBA_GRANT],
      backchannel_token_delivery_mode: 'poll',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [key.publicJwk] },
      backchannel_authentication_request_signing_alg: 'ES256',
    };
    const register = (metadata: Record<string, unknown>) =>
      api.postJson('/admin/v1/clients', { ...conforming, ...metadata }, admin());
    const refusals = [
      [
        { backchannel_token_delivery_mode: 'push', backchannel_client_notification_endpoint: endpoints.endpoint().url },
        "backchannel_token_delivery_mode 'push' is not allowed: use poll or ping (FAPI-CIBA profile)",
      ],
      [
        { token_endpoint_auth_method: 'client_secret_basic' },
        "token_endpoint_auth_method 'client_secret_basic' is not enabled on this server (enabled: private_key_jwt, tls_client_auth, self_signed_tls_client_auth)",
      ],
      [
        { backchannel_authentication_request_signing_alg: undefined },
        'backchannel_authentication_request_signing_alg is required, PS256 or ES256 (FAPI-CIBA profile)',
      ],
      [
        { tls_client_certificate_bound_access_tokens: false },
        'tls_client_certificate_bound_access_tokens must be true (FAPI-CIBA profile)',
      ],
    ] as const;
    for (const [metadata, description] of refusals) {
      const refused = await register(metadata);
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 400,
        body: { error: 'invalid_client_metadata', error_description: description },
      });
    }
    const accepted = await register({});
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({
      backchannel_fapi_ciba: true,
      tls_client_certificate_bound_access_tokens: true,
    });
  });

  it('runs a complete ping flow: signed request with a binding message, certificate-bound tokens', async () => {
    const key = newClientKey('PS256');
    const certificate = await tls.pki.clientCertificate({ commonName: 'fapi-bank', organization: 'Bank' });
    const endpoint = endpoints.endpoint();
    const { clientId } = await api.registerKeyClient({
      client_name: 'FAPI ping client',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=fapi-bank,O=Bank',
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: endpoint.url,
      jwks: { keys: [key.publicJwk] },
      backchannel_authentication_request_signing_alg: 'PS256',
    });
    const mtlsApi = new BackchannelApi({ ...stack, fetch: tls.fetch({ clientCertificate: certificate }) });
    const user = await api.createUserWithDevice();
    const params = { scope: 'openid', login_hint: user.email, client_notification_token: 'ping-token-1' };
    const signed = (extra: Record<string, unknown>) =>
      signedAuthenticationRequest(key, { clientId, issuer: stack.baseUrl, params: { ...params, ...extra } });

    const unsigned = await mtlsApi.postForm('/bc-authorize', { client_id: clientId, ...params, binding_message: 'x' });
    expectOAuthError(unsigned, 400, 'invalid_request');
    const withoutMessage = await mtlsApi.postForm('/bc-authorize', { client_id: clientId, request: await signed({}) });
    expectOAuthError(withoutMessage, 400, 'invalid_request');
    expect(withoutMessage.body.error_description).toBe(
      'A binding_message is required: this client follows the FAPI-CIBA profile.',
    );

    const ack = await mtlsApi.postForm('/bc-authorize', {
      client_id: clientId,
      request: await signed({ binding_message: 'Pay 42 EUR' }),
    });
    expect(ack.status).toBe(200);
    const onDevice = await api.pendingOnDevice(user, 'FAPI ping client');
    expect(onDevice.binding_message).toBe('Pay 42 EUR');
    expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);

    const [ping] = await endpoint.waitForCalls(1);
    expect(ping!.json).toEqual({ auth_req_id: ack.body.auth_req_id });
    expect(ping!.headers.authorization).toBe('Bearer ping-token-1');
    const tokens = await mtlsApi.postForm('/token', {
      client_id: clientId,
      grant_type: CIBA_GRANT,
      auth_req_id: String(ack.body.auth_req_id),
    });
    expect(tokens.status).toBe(200);
    const binding = await certificateBinding(api, String(tokens.body.access_token), certificate);
    expect(binding.actual).toEqual(binding.expected);
  });
});
