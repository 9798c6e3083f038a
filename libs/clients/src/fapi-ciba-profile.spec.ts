import { EgressPolicyChecker } from '@backchannel/egress';
import { InvalidClient, InvalidClientMetadata, InvalidRequest } from '@backchannel/oauth';
import { newClientKey } from '@backchannel/testing';
import { supportedAuthMethods, validateClientMetadata } from './client-metadata.js';
import {
  assertFapiCibaAuthenticationRequest,
  assertFapiCibaClientAuthentication,
  clientSigningAlgorithms,
} from './fapi-ciba-profile.js';
import type { RegisteredClient } from './registered-client.js';

const egress = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: [] });
const es256 = newClientKey('ES256');
const eddsa = newClientKey('EdDSA');
const mtls = { enabled: true, clientCaFile: '/etc/ca.pem' };
const fapiServer = { authMethods: supportedAuthMethods(mtls, true), fapiCiba: true, mtlsEnabled: true };

/** What the conformance suite registers: private_key_jwt, signed requests, poll. */
const fapiClient = {
  client_name: 'Bank',
  backchannel_token_delivery_mode: 'poll',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [es256.publicJwk, eddsa.publicJwk] },
  backchannel_authentication_request_signing_alg: 'ES256',
};

function refusal(input: unknown, options: Parameters<typeof validateClientMetadata>[2] = fapiServer): string {
  try {
    validateClientMetadata(input, egress, options);
  } catch (error) {
    if (error instanceof InvalidClientMetadata) return error.description;
    throw error;
  }
  throw new Error('the metadata was accepted');
}

function registered(input: Record<string, unknown>): RegisteredClient {
  return {
    clientId: 'client-1',
    secretSha256: null,
    sealedSecret: null,
    registeredAt: '2026-12-06T00:00:00.000Z',
    metadata: validateClientMetadata(input, egress, fapiServer),
  };
}

describe('the FAPI-CIBA profile at registration', () => {
  it('marks a conforming client, its access tokens bound to its certificate by default', () => {
    expect(validateClientMetadata(fapiClient, egress, fapiServer)).toMatchObject({
      backchannel_fapi_ciba: true,
      tls_client_certificate_bound_access_tokens: true,
    });
  });

  it('applies to a client that asks for it on a server that does not require it', () => {
    const optional = { authMethods: supportedAuthMethods(mtls), mtlsEnabled: true };
    expect(validateClientMetadata({ ...fapiClient, backchannel_fapi_ciba: true }, egress, optional)).toMatchObject({
      backchannel_fapi_ciba: true,
    });
    expect(validateClientMetadata(fapiClient, egress, optional)).not.toHaveProperty('backchannel_fapi_ciba');
    expect(
      refusal(
        {
          ...fapiClient,
          backchannel_token_delivery_mode: 'ping',
          backchannel_fapi_ciba: true,
          backchannel_client_notification_endpoint: 'https://bank.example/cb',
          backchannel_authentication_request_signing_alg: undefined,
        },
        optional,
      ),
    ).toBe('backchannel_authentication_request_signing_alg is required, PS256 or ES256 (FAPI-CIBA profile)');
  });

  it('refuses push, secrets, EdDSA, unsigned requests and bearer tokens, each clearly', () => {
    expect(
      refusal({
        ...fapiClient,
        backchannel_token_delivery_mode: 'push',
        backchannel_client_notification_endpoint: 'https://bank.example/cb',
      }),
    ).toBe("backchannel_token_delivery_mode 'push' is not allowed: use poll or ping (FAPI-CIBA profile)");
    expect(refusal({ ...fapiClient, token_endpoint_auth_method: 'client_secret_basic' })).toBe(
      "token_endpoint_auth_method 'client_secret_basic' is not enabled on this server (enabled: private_key_jwt, tls_client_auth, self_signed_tls_client_auth)",
    );
    expect(refusal({ ...fapiClient, backchannel_authentication_request_signing_alg: 'EdDSA' })).toBe(
      'backchannel_authentication_request_signing_alg is required, PS256 or ES256 (FAPI-CIBA profile)',
    );
    expect(refusal({ ...fapiClient, backchannel_authentication_request_signing_alg: undefined })).toBe(
      'backchannel_authentication_request_signing_alg is required, PS256 or ES256 (FAPI-CIBA profile)',
    );
    expect(refusal({ ...fapiClient, token_endpoint_auth_signing_alg: 'EdDSA' })).toBe(
      'token_endpoint_auth_signing_alg must be PS256 or ES256 (FAPI-CIBA profile)',
    );
    expect(refusal({ ...fapiClient, tls_client_certificate_bound_access_tokens: false })).toBe(
      'tls_client_certificate_bound_access_tokens must be true (FAPI-CIBA profile)',
    );
    expect(refusal({ ...fapiClient, backchannel_fapi_ciba: true }, { mtlsEnabled: false })).toBe(
      'certificate-bound access tokens need client certificates, and this server has mTLS off (FAPI-CIBA profile)',
    );
  });
});

describe('the FAPI-CIBA profile at each request', () => {
  const client = registered(fapiClient);

  it('lets a client under the profile sign with PS256 and ES256 only', () => {
    expect(clientSigningAlgorithms(client)).toEqual(['PS256', 'ES256']);
    expect(
      clientSigningAlgorithms({ ...client, metadata: { ...client.metadata, backchannel_fapi_ciba: false } }),
    ).toEqual(['PS256', 'ES256', 'EdDSA']);
  });

  it('requires the request signed, in the request parameter', () => {
    expect(() => assertFapiCibaAuthenticationRequest(client, new Map([['request', 'x.y.z']]))).not.toThrow();
    expect(() => assertFapiCibaAuthenticationRequest(client, new Map([['login_hint', 'alice']]))).toThrow(
      InvalidRequest,
    );
  });

  it('refuses a client registered before the server switched to the profile, clearly', () => {
    const legacy: RegisteredClient = {
      ...client,
      metadata: {
        ...client.metadata,
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_token_delivery_mode: 'push',
        backchannel_authentication_request_signing_alg: undefined,
      },
    };
    expect(() => assertFapiCibaClientAuthentication(legacy)).toThrow(InvalidClient);
    expect(() => assertFapiCibaAuthenticationRequest(legacy, new Map([['request', 'x.y.z']]))).toThrow(
      'This client follows the FAPI-CIBA profile, which does not allow the push mode.',
    );
    const unsigned = { ...legacy, metadata: { ...legacy.metadata, backchannel_token_delivery_mode: 'poll' as const } };
    expect(() => assertFapiCibaAuthenticationRequest(unsigned, new Map([['request', 'x.y.z']]))).toThrow(
      'This client follows the FAPI-CIBA profile: its authentication requests must be signed (PS256 or ES256), in the request parameter.',
    );
  });
});
