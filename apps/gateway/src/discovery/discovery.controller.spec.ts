import { loadConfig } from '@backchannel/config';
import type { SigningKeys } from '@backchannel/crypto';
import { DiscoveryController } from './discovery.controller.js';

const production = {
  BACKCHANNEL_ISSUER: 'https://auth.example.com',
  DATABASE_URL: 'postgres://backchannel@db/backchannel',
  BACKCHANNEL_ADMIN_TOKEN: 'a'.repeat(43),
  BACKCHANNEL_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
  HOST: '10.0.0.4',
};

function metadataFor(env: Record<string, string>): Record<string, unknown> {
  return new DiscoveryController(loadConfig({ ...production, ...env }), {} as SigningKeys).configuration();
}

describe('discovery metadata', () => {
  it('announces every member a CIBA client looks for, and no mTLS where client certificates cannot reach us', () => {
    const metadata = metadataFor({});
    expect(metadata).toMatchObject({
      issuer: 'https://auth.example.com',
      registration_endpoint: 'https://auth.example.com/register',
      response_types_supported: [],
      scopes_supported: ['openid', 'profile', 'email', 'phone', 'address'],
      backchannel_user_code_parameter_supported: true,
      acr_values_supported: ['urn:backchannel:acr:device', 'phr'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
      ],
    });
    expect(metadata['claims_supported']).toEqual(expect.arrayContaining(['acr', 'amr', 'auth_time', 'at_hash']));
    expect(metadata).not.toHaveProperty('tls_client_certificate_bound_access_tokens');
    expect(metadata).not.toHaveProperty('mtls_endpoint_aliases');
  });

  it('announces the mTLS endpoints at the issuer when mTLS is on, and no separate host is set', () => {
    expect(metadataFor({ TRUSTED_PROXIES: '10.0.0.0/8', MTLS_ENABLED: 'true' })).toMatchObject({
      mtls_endpoint_aliases: {
        token_endpoint: 'https://auth.example.com/token',
        backchannel_authentication_endpoint: 'https://auth.example.com/bc-authorize',
      },
    });
  });

  it('announces the mTLS methods, bound tokens and the aliases of a separate mTLS host when configured', () => {
    const metadata = metadataFor({
      TRUSTED_PROXIES: '10.0.0.0/8',
      MTLS_ENABLED: 'true',
      TLS_CLIENT_CA_FILE: '/etc/clients-ca.pem',
      MTLS_ENDPOINT_BASE_URL: 'https://mtls.auth.example.com',
    });
    expect(metadata).toMatchObject({
      tls_client_certificate_bound_access_tokens: true,
      mtls_endpoint_aliases: {
        token_endpoint: 'https://mtls.auth.example.com/token',
        backchannel_authentication_endpoint: 'https://mtls.auth.example.com/bc-authorize',
      },
    });
    expect(metadata['token_endpoint_auth_methods_supported']).toEqual(
      expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']),
    );
  });

  it('announces only what the FAPI-CIBA profile allows when it is on', () => {
    expect(
      metadataFor({ BACKCHANNEL_FAPI_CIBA: 'true', TRUSTED_PROXIES: '10.0.0.0/8', MTLS_ENABLED: 'true' }),
    ).toMatchObject({
      token_endpoint_auth_methods_supported: ['private_key_jwt', 'self_signed_tls_client_auth'],
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'ES256'],
      backchannel_authentication_request_signing_alg_values_supported: ['PS256', 'ES256'],
      backchannel_token_delivery_modes_supported: ['poll', 'ping'],
    });
  });
});
