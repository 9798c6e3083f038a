import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type ClientKey,
  type HttpsReceiver,
  clientAssertion,
  newClientKey,
  selfSignedClientCertificate,
  startHttpsReceiver,
  signedAuthenticationRequest,
} from '@backchannel/testing';
import { importPKCS8 } from 'jose';
import * as oidc from 'openid-client';
import { BackchannelApi, CIBA_GRANT, type Fetch } from './backchannel-api.js';
import { expectOAuthError } from './expectations.js';
import type { RunningStack, StackOptions } from './stacks.js';
import { type TlsEdge, certificateBinding, createTlsEdge } from './tls-edge.js';

/** openid-client's fetch, over our TLS connection (the test CA, the client certificate). */
function openidFetch(fetchFn: Fetch): oidc.CustomFetch {
  return (url, options) => fetchFn(url, options as RequestInit);
}

/**
 * FAPI-grade clients end to end: mutual TLS (RFC 8705) over a real TLS listener with a test CA and
 * client certificates and through the certificate header of a trusted proxy, and keys published
 * at a jwks_uri (a real HTTPS server the stack fetches from); openid-client is the client.
 */
export function describeFapiClients(name: string, start: (options: StackOptions) => Promise<RunningStack>): void {
  describe(name, () => {
    let tls: TlsEdge;
    let stack: RunningStack;
    let api: BackchannelApi;
    /** Clients' jwks_uri: each path publishes what `published` holds for it (404 when nothing). */
    let jwksHost: HttpsReceiver;
    let caDir: string;
    const published = new Map<string, { status: number; body: string }>();

    beforeAll(async () => {
      tls = await createTlsEdge();
      jwksHost = await startHttpsReceiver({
        responder: (request) => published.get(request.path) ?? { status: 404 },
      });
      caDir = await mkdtemp(path.join(tmpdir(), 'backchannel-jwks-ca-'));
      stack = await start({
        tls,
        env: {
          CLIENT_NOTIFICATION_CA_FILE: await jwksHost.writeCaFile(caDir),
          // every unknown kid may refetch at once, so that a rotation shows without waiting
          CLIENT_JWKS_MIN_REFETCH_SECONDS: '0',
        },
      });
      api = new BackchannelApi(stack);
    });

    afterAll(async () => {
      await stack?.stop();
      await Promise.all([tls?.close(), jwksHost?.close()]);
      if (caDir) await rm(caDir, { recursive: true, force: true });
    });

    const publish = (jwksPath: string, ...keys: ClientKey[]) =>
      published.set(jwksPath, { status: 200, body: JSON.stringify({ keys: keys.map((key) => key.publicJwk) }) });

    /** A fresh user with a device, and the request the named client made, approved on it. */
    async function approveOnDevice(
      user: Awaited<ReturnType<BackchannelApi['createUserWithDevice']>>,
      clientName: string,
    ) {
      const onDevice = await api.pendingOnDevice(user, clientName);
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
    }

    it('announces the certificate methods and certificate-bound tokens in discovery', async () => {
      const discovery = await api.get('/.well-known/openid-configuration');
      expect(discovery.body).toMatchObject({
        issuer: stack.baseUrl,
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'client_secret_jwt',
          'private_key_jwt',
          'tls_client_auth',
          'self_signed_tls_client_auth',
        ],
        tls_client_certificate_bound_access_tokens: true,
      });
    });

    it('serves a tls_client_auth client with signed requests through the TLS listener, its tokens bound to its certificate', async () => {
      const certificate = await tls.pki.clientCertificate({
        commonName: 'bank-app',
        organization: 'Bank',
        country: 'GB',
      });
      const key = newClientKey('PS256');
      const { clientId } = await api.registerKeyClient({
        client_name: 'mTLS client',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=bank-app,O=Bank,C=GB',
        tls_client_certificate_bound_access_tokens: true,
        jwks: { keys: [key.publicJwk] },
        backchannel_authentication_request_signing_alg: 'PS256',
      });
      const config = await oidc.discovery(new URL(stack.baseUrl), clientId, undefined, oidc.TlsClientAuth(), {
        [oidc.customFetch]: openidFetch(tls.fetch({ clientCertificate: certificate })),
      });

      const user = await api.createUserWithDevice();
      const request = await signedAuthenticationRequest(key, {
        clientId,
        issuer: stack.baseUrl,
        params: { scope: 'openid', login_hint: user.email, binding_message: 'Pay 10 GBP' },
      });
      const ack = await oidc.initiateBackchannelAuthentication(config, { request });
      await approveOnDevice(user, 'mTLS client');
      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, ack);
      expect(tokens.claims()).toMatchObject({ iss: stack.baseUrl, sub: user.sub, aud: clientId });

      const binding = await certificateBinding(api, tokens.access_token, certificate);
      expect(binding.actual).toEqual(binding.expected);
    });

    it('refuses a tls_client_auth client whose certificate is missing, from another CA or for another subject', async () => {
      const { clientId } = await api.registerKeyClient({
        client_name: 'Strict mTLS client',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_san_dns: 'app.bank.example',
      });
      const user = await api.createUserWithDevice();
      const form = { client_id: clientId, scope: 'openid', login_hint: user.email };
      const refusedWith = async (fetchFn: Fetch) =>
        new BackchannelApi({ ...stack, fetch: fetchFn }).postForm('/bc-authorize', form);

      expectOAuthError(await refusedWith(tls.fetch()), 401, 'invalid_client');
      const wrongSubject = await tls.pki.clientCertificate({ commonName: 'x', dnsNames: ['other.bank.example'] });
      expectOAuthError(await refusedWith(tls.fetch({ clientCertificate: wrongSubject })), 401, 'invalid_client');
      // the right name, signed by its own key rather than by a trusted CA
      const selfIssued = await selfSignedClientCertificate({ commonName: 'x', dnsNames: ['app.bank.example'] });
      expectOAuthError(await refusedWith(tls.fetch({ clientCertificate: selfIssued })), 401, 'invalid_client');

      const rightSubject = await tls.pki.clientCertificate({ commonName: 'x', dnsNames: ['app.bank.example'] });
      expect((await refusedWith(tls.fetch({ clientCertificate: rightSubject }))).status).toBe(200);
    });

    it('serves a self_signed_tls_client_auth client whose certificate a trusted proxy forwards in the header', async () => {
      const certificate = await selfSignedClientCertificate({ commonName: 'self-signed-app' });
      const certificateJwk = new X509Certificate(certificate.cert).publicKey.export({ format: 'jwk' });
      const { clientId } = await api.registerKeyClient({
        client_name: 'Self-signed client',
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        tls_client_certificate_bound_access_tokens: true,
        jwks: { keys: [{ ...certificateJwk, x5c: [new X509Certificate(certificate.cert).raw.toString('base64')] }] },
      });
      // What an ingress that terminated the client's TLS sends on: the certificate, URL-encoded PEM.
      const forwarded = { 'ssl-client-cert': encodeURIComponent(certificate.cert) };
      const user = await api.createUserWithDevice();
      const ack = await api.postForm(
        '/bc-authorize',
        { client_id: clientId, scope: 'openid', login_hint: user.email },
        forwarded,
      );
      expect(ack.status).toBe(200);
      await approveOnDevice(user, 'Self-signed client');
      const tokens = await api.postForm(
        '/token',
        { client_id: clientId, grant_type: CIBA_GRANT, auth_req_id: String(ack.body.auth_req_id) },
        forwarded,
      );
      expect(tokens.status).toBe(200);
      const binding = await certificateBinding(api, String(tokens.body.access_token), certificate);
      expect(binding.actual).toEqual(binding.expected);

      // The same header from an address that is not a trusted proxy is ignored: no certificate, no client.
      const untrusted = new BackchannelApi({ ...stack, fetch: tls.fetch({ localAddress: '127.0.0.2' }) });
      const refused = await untrusted.postForm(
        '/bc-authorize',
        { client_id: clientId, scope: 'openid', login_hint: user.email },
        forwarded,
      );
      expectOAuthError(refused, 401, 'invalid_client');
    });

    it('serves a private_key_jwt client with signed requests, its tokens bound to its certificate, none without it', async () => {
      const key = newClientKey('ES256');
      const certificate = await selfSignedClientCertificate({ commonName: 'key-client' });
      const privateKey = await importPKCS8(key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'ES256');
      const { clientId } = await api.registerKeyClient({
        client_name: 'Bound key client',
        jwks: { keys: [key.publicJwk] },
        tls_client_certificate_bound_access_tokens: true,
        backchannel_authentication_request_signing_alg: 'ES256',
      });
      const withCertificate = await oidc.discovery(
        new URL(stack.baseUrl),
        clientId,
        undefined,
        oidc.PrivateKeyJwt({ key: privateKey, kid: key.kid }),
        { [oidc.customFetch]: openidFetch(tls.fetch({ clientCertificate: certificate })) },
      );
      const withoutCertificate = await oidc.discovery(
        new URL(stack.baseUrl),
        clientId,
        undefined,
        oidc.PrivateKeyJwt({ key: privateKey, kid: key.kid }),
        { [oidc.customFetch]: openidFetch(tls.fetch()) },
      );
      const user = await api.createUserWithDevice();
      const request = await signedAuthenticationRequest(key, {
        clientId,
        issuer: stack.baseUrl,
        params: { scope: 'openid', login_hint: user.email },
      });
      const ack = await oidc.initiateBackchannelAuthentication(withoutCertificate, { request });
      await approveOnDevice(user, 'Bound key client');

      await expect(oidc.pollBackchannelAuthenticationGrant(withoutCertificate, ack)).rejects.toMatchObject({
        error: 'invalid_request',
      });
      const tokens = await oidc.pollBackchannelAuthenticationGrant(withCertificate, ack);
      const binding = await certificateBinding(api, tokens.access_token, certificate);
      expect(binding.actual).toEqual(binding.expected);
    });

    it('serves a client_secret_jwt client using openid-client (an HS256 MAC with its secret)', async () => {
      const client = await api.registerClient({
        client_name: 'MAC client',
        token_endpoint_auth_method: 'client_secret_jwt',
      });
      const config = await oidc.discovery(
        new URL(stack.baseUrl),
        client.clientId,
        undefined,
        oidc.ClientSecretJwt(client.clientSecret),
        { [oidc.customFetch]: openidFetch(tls.fetch()) },
      );
      const user = await api.createUserWithDevice();
      const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: user.email });
      await approveOnDevice(user, 'MAC client');
      const tokens = await oidc.pollBackchannelAuthenticationGrant(config, ack);
      expect(tokens.claims()).toMatchObject({ sub: user.sub, aud: client.clientId });
      // the secret itself is no password: HTTP Basic with it is refused
      expectOAuthError(
        await api.bcAuthorize(client, { scope: 'openid', login_hint: user.email }),
        401,
        'invalid_client',
      );
    });

    it('verifies a private_key_jwt client by the keys at its jwks_uri, fetching them again when it rotates', async () => {
      const [first, second] = [newClientKey('ES256'), newClientKey('PS256')];
      publish('/rotating/jwks', first);
      const { clientId } = await api.registerKeyClient({
        client_name: 'jwks_uri client',
        jwks_uri: jwksHost.url('/rotating/jwks'),
      });
      const user = await api.createUserWithDevice();
      const assertionForm = async (key: ClientKey) => ({
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(key, { clientId, audience: stack.baseUrl }),
      });
      const ack = await api.postForm('/bc-authorize', {
        ...(await assertionForm(first)),
        scope: 'openid',
        login_hint: user.email,
      });
      expect(ack.status).toBe(200);
      await approveOnDevice(user, 'jwks_uri client');

      // The client rotates: it publishes the new key and signs with it at once.
      publish('/rotating/jwks', second);
      const tokens = await api.postForm('/token', {
        ...(await assertionForm(second)),
        grant_type: CIBA_GRANT,
        auth_req_id: String(ack.body.auth_req_id),
      });
      expect(tokens.status).toBe(200);
      // once for the first key, and again for the one the cached set lacked (embedded) or by the other service
      expect(jwksHost.requests.filter((request) => request.path === '/rotating/jwks')).toHaveLength(2);
    });

    it('refuses the client clearly (invalid_client, never a 500) when its jwks_uri fails', async () => {
      const key = newClientKey('ES256');
      published.set('/broken/jwks', { status: 500, body: 'down' });
      const { clientId } = await api.registerKeyClient({
        client_name: 'Broken keys',
        jwks_uri: jwksHost.url('/broken/jwks'),
      });
      const user = await api.createUserWithDevice();
      const refused = await api.postForm('/bc-authorize', {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await clientAssertion(key, { clientId, audience: stack.baseUrl }),
        scope: 'openid',
        login_hint: user.email,
      });
      expectOAuthError(refused, 401, 'invalid_client');
      expect(refused.body.error_description).toBe("The client's jwks_uri could not be fetched (it answered HTTP 500).");
    });
  });
}
