import { EgressPolicyChecker, type Resolver } from '@backchannel/egress';
import type { TokenDeliveryMode } from '@backchannel/events';
import { CIBA_GRANT_TYPE, InvalidClientMetadata } from '@backchannel/oauth';
import { newClientKey, staticResolver } from '@backchannel/testing';
import { supportedAuthMethods, validateClientMetadata, validateClientRegistration } from './client-metadata.js';

const minimal = { client_name: 'Call centre', backchannel_token_delivery_mode: 'poll' };

/** The production default: https only, public addresses only. */
const strictEgress = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: [] });

function validate(input: unknown, acceptedModes?: readonly TokenDeliveryMode[]) {
  return validateClientMetadata(input, strictEgress, { deliveryModes: acceptedModes });
}

function rejection(input: unknown, acceptedModes?: readonly TokenDeliveryMode[]): InvalidClientMetadata {
  try {
    validate(input, acceptedModes);
  } catch (error) {
    if (error instanceof InvalidClientMetadata) return error;
    throw error;
  }
  throw new Error('the metadata was accepted');
}

describe('validateClientMetadata', () => {
  it('fills in the defaults for a minimal poll client', () => {
    expect(validate(minimal)).toEqual({
      client_name: 'Call centre',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [CIBA_GRANT_TYPE],
      scope: 'openid',
      backchannel_token_delivery_mode: 'poll',
      backchannel_user_code_parameter: false,
    });
  });

  it('keeps explicit values', () => {
    expect(
      validate({
        ...minimal,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['refresh_token', CIBA_GRANT_TYPE],
        scope: 'openid profile accounts:read',
        backchannel_user_code_parameter: false,
      }),
    ).toEqual({
      client_name: 'Call centre',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['refresh_token', CIBA_GRANT_TYPE],
      scope: 'openid profile accounts:read',
      backchannel_token_delivery_mode: 'poll',
      backchannel_user_code_parameter: false,
    });
  });

  it('ignores unknown members (RFC 7591), including an empty response_types', () => {
    const metadata = validate({ ...minimal, response_types: [], logo_uri: 'https://x', foo: { bar: 1 } });

    expect(metadata).not.toHaveProperty('response_types');
    expect(metadata).not.toHaveProperty('foo');
  });

  it.each([null, 'client', 42, [minimal], undefined])('rejects %p, which is not a JSON object', (input) => {
    expect(rejection(input)).toMatchObject({
      error: 'invalid_client_metadata',
      status: 400,
      description: 'client metadata must be a JSON object',
    });
  });

  describe('client_name', () => {
    it('is required', () => {
      expect(rejection({ backchannel_token_delivery_mode: 'poll' }).description).toBe(
        'client_name is required and must be a string',
      );
    });

    it('must be a string', () => {
      expect(rejection({ ...minimal, client_name: 7 }).description).toBe(
        'client_name is required and must be a string',
      );
    });

    it('is trimmed and must not be blank', () => {
      expect(validate({ ...minimal, client_name: '  Kiosk ' }).client_name).toBe('Kiosk');
      expect(rejection({ ...minimal, client_name: '   ' }).description).toBe('client_name must not be empty');
    });

    it('has at most 200 characters', () => {
      expect(validate({ ...minimal, client_name: 'n'.repeat(200) }).client_name).toHaveLength(200);
      expect(rejection({ ...minimal, client_name: 'n'.repeat(201) }).description).toBe(
        'client_name must be at most 200 characters',
      );
    });
  });

  describe('token_endpoint_auth_method', () => {
    const supported =
      'client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth, self_signed_tls_client_auth';

    it.each(['none', 'client_secret'])('rejects %s, naming it', (method) => {
      expect(rejection({ ...minimal, token_endpoint_auth_method: method }).description).toBe(
        `token_endpoint_auth_method '${method}' is not supported (supported: ${supported})`,
      );
    });

    it('does not echo a value with characters an error description cannot carry', () => {
      expect(rejection({ ...minimal, token_endpoint_auth_method: 'a"b' }).description).toBe(
        `token_endpoint_auth_method must be one of ${supported}`,
      );
      expect(rejection({ ...minimal, token_endpoint_auth_method: 3 }).description).toBe(
        `token_endpoint_auth_method must be one of ${supported}`,
      );
    });
  });

  describe('mutual TLS (RFC 8705)', () => {
    const mtlsEnabled = { authMethods: supportedAuthMethods({ enabled: true, clientCaFile: '/etc/ca.pem' }) };
    const tlsClient = {
      ...minimal,
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=client-1,O=Bank,C=GB',
    };

    it('offers the certificate methods only where the settings let certificates reach us', () => {
      expect(supportedAuthMethods({ enabled: false, clientCaFile: null })).toEqual([
        'client_secret_basic',
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
      ]);
      expect(supportedAuthMethods({ enabled: true, clientCaFile: null })).toContain('self_signed_tls_client_auth');
      expect(supportedAuthMethods({ enabled: true, clientCaFile: null })).not.toContain('tls_client_auth');
      expect(rejection(tlsClient).description).toBe(
        "token_endpoint_auth_method 'tls_client_auth' is not enabled on this server (enabled: client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt)",
      );
    });

    it('keeps a tls_client_auth client with its one subject member and certificate-bound tokens', () => {
      expect(
        validateClientMetadata(
          { ...tlsClient, tls_client_certificate_bound_access_tokens: true },
          strictEgress,
          mtlsEnabled,
        ),
      ).toEqual({
        client_name: 'Call centre',
        token_endpoint_auth_method: 'tls_client_auth',
        grant_types: [CIBA_GRANT_TYPE],
        scope: 'openid',
        backchannel_token_delivery_mode: 'poll',
        backchannel_user_code_parameter: false,
        tls_client_auth_subject_dn: 'CN=client-1,O=Bank,C=GB',
        tls_client_certificate_bound_access_tokens: true,
      });
    });

    it('needs exactly one well-formed subject member for tls_client_auth, and none for other methods', () => {
      const refusal = (input: unknown) => {
        try {
          validateClientMetadata(input, strictEgress, mtlsEnabled);
        } catch (error) {
          return (error as InvalidClientMetadata).description;
        }
        throw new Error('accepted');
      };
      const { tls_client_auth_subject_dn: _dn, ...withoutSubject } = tlsClient;
      expect(refusal(withoutSubject)).toMatch(/^tls_client_auth needs exactly one of tls_client_auth_subject_dn, /);
      expect(refusal({ ...tlsClient, tls_client_auth_san_dns: 'client.example' })).toMatch(/needs exactly one/);
      expect(refusal({ ...tlsClient, tls_client_auth_subject_dn: 'client-1' })).toBe(
        'tls_client_auth_subject_dn must be a distinguished name like CN=client,O=Example',
      );
      expect(refusal({ ...withoutSubject, tls_client_auth_san_ip: '10.0.0.300' })).toBe(
        'tls_client_auth_san_ip must be an IPv4 or IPv6 address',
      );
      expect(refusal({ ...minimal, tls_client_auth_san_dns: 'client.example' })).toBe(
        'tls_client_auth_san_dns is only for tls_client_auth',
      );
      expect(refusal({ ...withoutSubject, tls_client_auth_san_uri: 42 })).toBe(
        'tls_client_auth_san_uri must be a string',
      );
    });

    it('needs the self-signed certificate as x5c for self_signed_tls_client_auth', () => {
      const key = newClientKey('ES256');
      const selfSigned = { ...minimal, token_endpoint_auth_method: 'self_signed_tls_client_auth' };
      expect(() => validateClientMetadata(selfSigned, strictEgress, mtlsEnabled)).toThrow(
        'jwks or jwks_uri is required for self_signed_tls_client_auth: its certificate as x5c of a key',
      );
      expect(() =>
        validateClientMetadata({ ...selfSigned, jwks: { keys: [key.publicJwk] } }, strictEgress, mtlsEnabled),
      ).toThrow('jwks must hold the self-signed certificate as x5c of a key');
    });

    it('refuses certificate-bound tokens in push mode, where no token request carries a certificate', () => {
      expect(
        rejection({
          ...minimal,
          backchannel_token_delivery_mode: 'push',
          backchannel_client_notification_endpoint: 'https://client.example.com/cb',
          tls_client_certificate_bound_access_tokens: true,
        }).description,
      ).toBe(
        'tls_client_certificate_bound_access_tokens is not available in push mode: its tokens are not requested over TLS',
      );
    });
  });

  describe('members we do not act on, and those a client counts on', () => {
    it('drops what does not matter, keeps ES256 ID tokens, refuses what it would silently not do', () => {
      expect(validate({ ...minimal, redirect_uris: ['https://client.example/cb'], logo_uri: 'x' })).not.toHaveProperty(
        'redirect_uris',
      );
      expect(validate({ ...minimal, id_token_signed_response_alg: 'ES256', response_types: [] })).toMatchObject({
        id_token_signed_response_alg: 'ES256',
      });
      expect(rejection({ ...minimal, id_token_signed_response_alg: 'RS256' }).description).toBe(
        'id_token_signed_response_alg must be ES256, the algorithm of our ID tokens',
      );
      expect(rejection({ ...minimal, id_token_encrypted_response_alg: 'RSA-OAEP' }).description).toBe(
        'id_token_encrypted_response_alg is not supported: ID tokens are signed, not encrypted',
      );
      expect(rejection({ ...minimal, response_types: ['code'] }).description).toBe(
        'response_types must be empty: CIBA clients use no response type',
      );
    });
  });

  describe('client_secret_jwt', () => {
    it('needs no keys, and signs with HS256 only', () => {
      const secretJwt = { ...minimal, token_endpoint_auth_method: 'client_secret_jwt' };
      expect(validate(secretJwt)).toMatchObject({ token_endpoint_auth_method: 'client_secret_jwt' });
      expect(validate({ ...secretJwt, token_endpoint_auth_signing_alg: 'HS256' })).toMatchObject({
        token_endpoint_auth_signing_alg: 'HS256',
      });
      expect(rejection({ ...secretJwt, token_endpoint_auth_signing_alg: 'ES256' }).description).toBe(
        'token_endpoint_auth_signing_alg must be HS256 for client_secret_jwt',
      );
    });
  });

  describe('private_key_jwt: jwks and token_endpoint_auth_signing_alg', () => {
    const es256 = newClientKey('ES256');
    const ps256 = newClientKey('PS256');
    const keyClient = { ...minimal, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [es256.publicJwk] } };

    it('keeps the keys and the algorithm of a key-based client', () => {
      expect(validate({ ...keyClient, token_endpoint_auth_signing_alg: 'ES256' })).toEqual({
        client_name: 'Call centre',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: [CIBA_GRANT_TYPE],
        scope: 'openid',
        backchannel_token_delivery_mode: 'poll',
        backchannel_user_code_parameter: false,
        jwks: { keys: [es256.publicJwk] },
        token_endpoint_auth_signing_alg: 'ES256',
      });
    });

    it('requires jwks or jwks_uri, never both, and checks the keys', () => {
      const { jwks: _jwks, ...withoutKeys } = keyClient;
      expect(rejection(withoutKeys).description).toBe('jwks or jwks_uri is required for private_key_jwt');
      expect(rejection({ ...keyClient, jwks_uri: 'https://client.example/jwks' }).description).toBe(
        'jwks and jwks_uri must not both be registered',
      );
      expect(rejection({ ...keyClient, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }).description).toBe(
        'jwks key 0 holds private or symmetric key material: register public keys only',
      );
    });

    it('keeps a jwks_uri (https, no fragment or user information), whose keys are checked when used', () => {
      const { jwks: _jwks, ...withoutKeys } = keyClient;
      const uri = 'https://client.example/jwks.json';
      expect(validate({ ...withoutKeys, jwks_uri: uri, token_endpoint_auth_signing_alg: 'PS256' })).toMatchObject({
        jwks_uri: uri,
        token_endpoint_auth_signing_alg: 'PS256',
      });
      expect(validate({ ...withoutKeys, jwks_uri: uri })).not.toHaveProperty('jwks');
      expect(rejection({ ...withoutKeys, jwks_uri: 'http://client.example/jwks' }).description).toBe(
        'jwks_uri must be an absolute https URL',
      );
      expect(rejection({ ...withoutKeys, jwks_uri: 'https://user@client.example/jwks' }).description).toBe(
        'jwks_uri must not contain user information',
      );
      expect(rejection({ ...withoutKeys, jwks_uri: 'https://client.example:22/jwks' }).description).toBe(
        'jwks_uri must not use port 22 (allowed: 443, or from 1024 up except well-known service ports)',
      );
      expect(rejection({ ...withoutKeys, jwks_uri: 'https://evil.example\\@client.example/jwks' }).description).toBe(
        'jwks_uri must be printable ASCII without a backslash (a host in its A-label form)',
      );
      expect(rejection({ ...withoutKeys, jwks_uri: 42 }).description).toBe('jwks_uri must be a string');
    });

    it('allows only PS256, ES256 and EdDSA, only for private_key_jwt, and only with a key for it', () => {
      for (const alg of ['RS256', 'HS384', 'none']) {
        expect(rejection({ ...keyClient, token_endpoint_auth_signing_alg: alg }).description).toBe(
          `token_endpoint_auth_signing_alg '${alg}' is not supported (supported: HS256, PS256, ES256, EdDSA)`,
        );
      }
      expect(rejection({ ...keyClient, token_endpoint_auth_signing_alg: 'HS256' }).description).toBe(
        'token_endpoint_auth_signing_alg HS256 is only for client_secret_jwt',
      );
      expect(rejection({ ...minimal, token_endpoint_auth_signing_alg: 'ES256' }).description).toBe(
        'token_endpoint_auth_signing_alg is only for private_key_jwt and client_secret_jwt',
      );
      expect(rejection({ ...keyClient, token_endpoint_auth_signing_alg: 'PS256' }).description).toBe(
        'jwks has no key for token_endpoint_auth_signing_alg PS256',
      );
      expect(
        validate({ ...keyClient, jwks: { keys: [ps256.publicJwk] }, token_endpoint_auth_signing_alg: 'PS256' }),
      ).toMatchObject({ token_endpoint_auth_signing_alg: 'PS256' });
    });
  });

  it.each(['\u202eknaB', 'Ba\u200bnk', 'Bank\u0007'])(
    'refuses the client_name %p, which would disguise itself on the device',
    (client_name) => {
      expect(rejection({ ...minimal, client_name }).description).toBe(
        'client_name must not contain control, bidirectional or invisible formatting characters',
      );
    },
  );

  describe('rich authorization requests, resource indicators and offline_access', () => {
    it('keeps the authorization-detail types and the resources, de-duplicated', () => {
      const metadata = validate({
        ...minimal,
        authorization_details_types: ['payment_initiation', 'urn:example:ledger', 'payment_initiation'],
        backchannel_allowed_resources: ['https://api.example.com/', 'urn:example:ledger'],
      });
      expect(metadata.authorization_details_types).toEqual(['payment_initiation', 'urn:example:ledger']);
      expect(metadata.backchannel_allowed_resources).toEqual(['https://api.example.com/', 'urn:example:ledger']);
      expect(validate({ ...minimal, authorization_details_types: [] })).not.toHaveProperty(
        'authorization_details_types',
      );
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['a type with a space', { authorization_details_types: ['payment initiation'] }, /authorization_details_types/],
      ['a type that is not a string', { authorization_details_types: [1] }, /authorization_details_types/],
      ['21 types', { authorization_details_types: Array.from({ length: 21 }, (_, i) => `t${i}`) }, /at most 20/],
      ['a relative resource', { backchannel_allowed_resources: ['/api'] }, /absolute URI/],
      ['a resource with a fragment', { backchannel_allowed_resources: ['https://api.example.com/#x'] }, /absolute URI/],
      ['offline_access without the refresh_token grant', { scope: 'openid offline_access' }, /refresh_token/],
    ])('refuses %s', (_what, members, message) => {
      expect(rejection({ ...minimal, ...members }).description).toMatch(message);
    });

    it('accepts offline_access with the refresh_token grant', () => {
      const metadata = validate({
        ...minimal,
        scope: 'openid offline_access',
        grant_types: [CIBA_GRANT_TYPE, 'refresh_token'],
      });
      expect(metadata.scope).toBe('openid offline_access');
    });
  });

  describe('grant_types', () => {
    it('rejects grant types other than CIBA and refresh_token, naming the value', () => {
      expect(rejection({ ...minimal, grant_types: [CIBA_GRANT_TYPE, 'client_credentials'] }).description).toBe(
        `grant_types value 'client_credentials' is not supported (supported: ${CIBA_GRANT_TYPE}, refresh_token)`,
      );
    });

    it('must include the CIBA grant', () => {
      const expected = `grant_types must include ${CIBA_GRANT_TYPE}`;
      expect(rejection({ ...minimal, grant_types: ['refresh_token'] }).description).toBe(expected);
      expect(rejection({ ...minimal, grant_types: [] }).description).toBe(expected);
    });

    it('must be an array', () => {
      expect(rejection({ ...minimal, grant_types: CIBA_GRANT_TYPE }).description).toBe(
        'grant_types must be an array of strings',
      );
    });

    it('drops repeated values', () => {
      expect(validate({ ...minimal, grant_types: [CIBA_GRANT_TYPE, CIBA_GRANT_TYPE] }).grant_types).toEqual([
        CIBA_GRANT_TYPE,
      ]);
    });
  });

  describe('scope', () => {
    it('must include openid', () => {
      expect(rejection({ ...minimal, scope: 'profile email' }).description).toBe('scope must include openid');
    });

    it.each(['openid  profile', ' openid', 'openid\tprofile', 'openid "quoted"', 'openid back\\slash', 'openid é', ''])(
      'rejects %p, which is not space-separated RFC 6749 scope tokens',
      (scope) => {
        expect(rejection({ ...minimal, scope }).description).toBe(
          'scope must be scope tokens separated by single spaces (RFC 6749 section 3.3)',
        );
      },
    );

    it('must be a string', () => {
      expect(rejection({ ...minimal, scope: ['openid'] }).description).toBe('scope must be a string');
    });

    it('drops repeated scope tokens', () => {
      expect(validate({ ...minimal, scope: 'openid email openid' }).scope).toBe('openid email');
    });
  });

  describe('backchannel_token_delivery_mode', () => {
    it('is required for the CIBA grant', () => {
      expect(rejection({ client_name: 'Call centre' }).description).toBe(
        `backchannel_token_delivery_mode is required for the ${CIBA_GRANT_TYPE} grant`,
      );
    });

    it.each(['ping', 'push'])('accepts %s with a notification endpoint', (mode) => {
      expect(
        validate({
          ...minimal,
          backchannel_token_delivery_mode: mode,
          backchannel_client_notification_endpoint: 'https://client.example.com/cb',
        }),
      ).toMatchObject({
        backchannel_token_delivery_mode: mode,
        backchannel_client_notification_endpoint: 'https://client.example.com/cb',
      });
    });

    it('rejects values CIBA does not define', () => {
      expect(rejection({ ...minimal, backchannel_token_delivery_mode: 'POLL' }).description).toBe(
        "backchannel_token_delivery_mode 'POLL' is not supported (supported: poll, ping, push)",
      );
    });

    it('can be narrowed by the deployment', () => {
      expect(rejection(minimal, ['ping']).description).toBe(
        "backchannel_token_delivery_mode 'poll' is not supported yet",
      );
    });
  });

  describe('backchannel_client_notification_endpoint', () => {
    const ping = { client_name: 'Bank', backchannel_token_delivery_mode: 'ping' };

    it('is rejected for the poll mode', () => {
      expect(
        rejection({ ...minimal, backchannel_client_notification_endpoint: 'https://client.example.com/cb' })
          .description,
      ).toBe('backchannel_client_notification_endpoint must not be registered for the poll mode');
    });

    it.each(['ping', 'push'])('is required for the %s mode', (mode) => {
      expect(rejection({ ...ping, backchannel_token_delivery_mode: mode }).description).toBe(
        `backchannel_client_notification_endpoint is required for the ${mode} mode`,
      );
    });

    it.each([
      ['http://client.example.com/cb', 'must be an absolute https URL'],
      ['client.example.com/cb', 'must be an absolute https URL'],
      ['/cb', 'must be an absolute https URL'],
      ['https://client.example.com/cb#frag', 'must not contain a fragment'],
      ['https://user:secret@client.example.com/cb', 'must not contain user information'],
      ['https://evil.com\\@good.com/cb', 'must be printable ASCII without a backslash (a host in its A-label form)'],
      ['https://client.example.com/\ud800', 'must be printable ASCII without a backslash (a host in its A-label form)'],
      [
        'https://client.example.com:0/cb',
        'must not use port 0 (allowed: 443, or from 1024 up except well-known service ports)',
      ],
      [
        'https://client.example.com:22/cb',
        'must not use port 22 (allowed: 443, or from 1024 up except well-known service ports)',
      ],
    ])('refuses %p: %s', (endpoint, reason) => {
      expect(rejection({ ...ping, backchannel_client_notification_endpoint: endpoint }).description).toBe(
        `backchannel_client_notification_endpoint ${reason}`,
      );
    });

    it('accepts plain http only when the policy allows it', () => {
      const relaxed = new EgressPolicyChecker({ allowHttp: true, allowedNetworks: [] });
      expect(
        validateClientMetadata(
          { ...ping, backchannel_client_notification_endpoint: 'http://client.example.com/cb' },
          relaxed,
        ),
      ).toMatchObject({ backchannel_client_notification_endpoint: 'http://client.example.com/cb' });
    });
  });

  describe('backchannel_user_code_parameter', () => {
    it('keeps true: the client sends the user code (CIBA §7.1.2)', () => {
      expect(validate({ ...minimal, backchannel_user_code_parameter: true })).toMatchObject({
        backchannel_user_code_parameter: true,
      });
    });

    it('must be a boolean', () => {
      expect(rejection({ ...minimal, backchannel_user_code_parameter: 'false' }).description).toBe(
        'backchannel_user_code_parameter must be a boolean',
      );
    });
  });

  describe('backchannel_allowed_hints', () => {
    it('is kept, without repeats; absent means every hint', () => {
      expect(
        validate({ ...minimal, backchannel_allowed_hints: ['id_token_hint', 'login_hint', 'id_token_hint'] }),
      ).toMatchObject({
        backchannel_allowed_hints: ['id_token_hint', 'login_hint'],
      });
      expect(validate(minimal)).not.toHaveProperty('backchannel_allowed_hints');
    });

    it('refuses an empty list, an unknown hint and a non-array', () => {
      expect(rejection({ ...minimal, backchannel_allowed_hints: [] }).description).toBe(
        'backchannel_allowed_hints must name at least one hint',
      );
      expect(rejection({ ...minimal, backchannel_allowed_hints: ['user_code'] }).description).toBe(
        "backchannel_allowed_hints value 'user_code' is not supported (supported: login_hint, id_token_hint, login_hint_token)",
      );
      expect(rejection({ ...minimal, backchannel_allowed_hints: 'login_hint' }).description).toBe(
        'backchannel_allowed_hints must be an array of hint names',
      );
    });
  });

  describe('backchannel_authentication_request_signing_alg', () => {
    const ps256 = newClientKey('PS256');

    it('is kept with a key for it, for a client of any authentication method', () => {
      expect(
        validate({
          ...minimal,
          jwks: { keys: [ps256.publicJwk] },
          backchannel_authentication_request_signing_alg: 'PS256',
        }),
      ).toMatchObject({
        token_endpoint_auth_method: 'client_secret_basic',
        jwks: { keys: [ps256.publicJwk] },
        backchannel_authentication_request_signing_alg: 'PS256',
      });
    });

    it('needs keys, and a key for the algorithm', () => {
      expect(rejection({ ...minimal, backchannel_authentication_request_signing_alg: 'PS256' }).description).toBe(
        "backchannel_authentication_request_signing_alg needs the client's public keys in jwks or at jwks_uri",
      );
      expect(
        rejection({
          ...minimal,
          jwks: { keys: [ps256.publicJwk] },
          backchannel_authentication_request_signing_alg: 'ES256',
        }).description,
      ).toBe('jwks has no key for backchannel_authentication_request_signing_alg ES256');
    });

    it.each(['RS256', 'HS256', 'none', null])('refuses %p (PS256, ES256 and EdDSA only)', (alg) => {
      expect(
        rejection({
          ...minimal,
          jwks: { keys: [ps256.publicJwk] },
          backchannel_authentication_request_signing_alg: alg,
        }).description,
      ).toMatch(
        /^backchannel_authentication_request_signing_alg ('.*' is not supported|must be one of) .*PS256, ES256, EdDSA\)?$/,
      );
    });
  });
});

describe('validateClientRegistration', () => {
  const ping = { client_name: 'Bank', backchannel_token_delivery_mode: 'ping' };
  const resolveTestName = staticResolver({
    'client.example.com': ['93.184.216.34'],
    localhost: ['127.0.0.1', '::1'],
    'intranet.example.com': ['10.20.30.40'],
    'metadata.example.com': ['169.254.169.254'],
  });
  const resolved: string[] = [];
  const resolver: Resolver = (hostname) => {
    resolved.push(hostname);
    return resolveTestName(hostname);
  };

  function register(endpoint: string, egress = strictEgress) {
    return validateClientRegistration({ ...ping, backchannel_client_notification_endpoint: endpoint }, egress, {
      resolve: resolver,
    });
  }

  beforeEach(() => {
    resolved.length = 0;
  });

  it('accepts an endpoint whose host resolves to public addresses', async () => {
    await expect(register('https://client.example.com/cb')).resolves.toMatchObject({
      backchannel_client_notification_endpoint: 'https://client.example.com/cb',
    });
    expect(resolved).toEqual(['client.example.com']);
  });

  it.each([
    ['https://10.0.0.1/cb', 'resolves to a private address'],
    ['https://intranet.example.com/cb', 'resolves to a private address'],
    ['https://169.254.169.254/latest', 'resolves to a link-local address, which is never allowed'],
    ['https://metadata.example.com/cb', 'resolves to a link-local address, which is never allowed'],
    ['https://[fe80::1]/cb', 'resolves to a link-local address, which is never allowed'],
    ['https://localhost/cb', 'resolves to a loopback address'],
  ])('refuses %s: it %s, without naming the address', async (endpoint, reason) => {
    const refusal = register(endpoint);
    await expect(refusal).rejects.toBeInstanceOf(InvalidClientMetadata);
    await expect(refusal).rejects.toMatchObject({
      error: 'invalid_client_metadata',
      description: `backchannel_client_notification_endpoint ${reason}`,
    });
  });

  it('accepts localhost only when loopback is allow-listed', async () => {
    const loopback = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: ['127.0.0.0/8', '::1/128'] });
    await expect(register('https://localhost:8443/cb', loopback)).resolves.toMatchObject({
      backchannel_client_notification_endpoint: 'https://localhost:8443/cb',
    });
    await expect(register('https://intranet.example.com/cb', loopback)).rejects.toBeInstanceOf(InvalidClientMetadata);
  });

  it('keeps link-local refused even when allow-listed', async () => {
    const permissive = new EgressPolicyChecker({ allowHttp: false, allowedNetworks: ['169.254.0.0/16', 'fe80::/10'] });
    await expect(register('https://169.254.169.254/latest', permissive)).rejects.toBeInstanceOf(InvalidClientMetadata);
    await expect(register('https://[fe80::1]/cb', permissive)).rejects.toBeInstanceOf(InvalidClientMetadata);
  });

  it('accepts a name that does not resolve yet: every delivery checks it again', async () => {
    await expect(register('https://not-yet.example.com/cb')).resolves.toMatchObject({
      backchannel_client_notification_endpoint: 'https://not-yet.example.com/cb',
    });
    expect(resolved).toEqual(['not-yet.example.com']);
  });

  it('resolves nothing for a poll client', async () => {
    await expect(validateClientRegistration(minimal, strictEgress, { resolve: resolver })).resolves.toMatchObject({
      backchannel_token_delivery_mode: 'poll',
    });
    expect(resolved).toEqual([]);
  });
});
