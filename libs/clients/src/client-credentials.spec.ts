import { EgressPolicyChecker } from '@backchannel/egress';
import { validateClientMetadata } from './client-metadata.js';
import { sha256Hex } from '@backchannel/crypto';
import { InvalidClient, InvalidRequest, type OAuthError } from '@backchannel/oauth';
import {
  CLIENT_AUTHENTICATION_FAILED,
  JWT_BEARER_ASSERTION_TYPE,
  parseClientCredentials,
  verifyClientCredentials,
  type ClientCredentials,
} from './client-credentials.js';
import type { RegisteredClient } from './registered-client.js';

function basic(encodedUserPass: string): string {
  return `Basic ${Buffer.from(encodedUserPass, 'utf8').toString('base64')}`;
}

function form(entries: Record<string, string> = {}): ReadonlyMap<string, string> {
  return new Map(Object.entries(entries));
}

function failure(attempt: () => unknown): OAuthError {
  try {
    attempt();
  } catch (error) {
    return error as OAuthError;
  }
  throw new Error('no error was thrown');
}

describe('parseClientCredentials', () => {
  describe('client_secret_basic', () => {
    it('reads the id and secret from the Authorization header', () => {
      expect(parseClientCredentials(basic('client-1:s3cret'), form())).toEqual({
        method: 'client_secret_basic',
        clientId: 'client-1',
        clientSecret: 's3cret',
      });
    });

    it('form-urldecodes both parts after base64 decoding (+ is a space, %XX escapes)', () => {
      expect(parseClientCredentials(basic('my+client%3Aid:p%40ss+word%2B%25'), form())).toMatchObject({
        clientId: 'my client:id',
        clientSecret: 'p@ss word+%',
      });
    });

    it('splits at the first colon only: the secret may contain colons', () => {
      expect(parseClientCredentials(basic('client-1:a:b:c'), form())).toMatchObject({
        clientId: 'client-1',
        clientSecret: 'a:b:c',
      });
    });

    it('accepts the scheme name in any letter case', () => {
      const header = basic('client-1:s3cret').replace('Basic', 'bAsIc');
      expect(parseClientCredentials(header, form()).clientId).toBe('client-1');
    });

    it('accepts a client_id form parameter equal to the Basic id', () => {
      expect(parseClientCredentials(basic('client-1:s3cret'), form({ client_id: 'client-1' }))).toMatchObject({
        method: 'client_secret_basic',
        clientId: 'client-1',
      });
    });

    it('rejects a client_id form parameter that differs from the Basic id', () => {
      const error = failure(() => parseClientCredentials(basic('client-1:s3cret'), form({ client_id: 'client-2' })));
      expect(error).toBeInstanceOf(InvalidClient);
      expect(error.description).toBe('The client_id parameter does not match the HTTP Basic credentials.');
    });

    it.each([
      ['another scheme', 'Bearer abc'],
      ['no credentials', 'Basic'],
      ['characters outside base64', 'Basic Y2xp*ZW50'],
      ['base64 of the wrong length', 'Basic Y2xpZW50OnM'],
      ['too much padding', 'Basic YQ==='],
      ['an empty header', ''],
    ])('rejects %s as invalid_client', (_, header) => {
      const error = failure(() => parseClientCredentials(header, form()));
      expect(error).toBeInstanceOf(InvalidClient);
      expect(error.description).toBe('The Authorization header is not HTTP Basic credentials.');
    });

    it.each([
      ['no colon', basic('client-1')],
      ['a broken percent escape in the id', basic('client%2:s3cret')],
      ['a broken percent escape in the secret', basic('client-1:%zz')],
      ['bytes that are not UTF-8', `Basic ${Buffer.from([0x63, 0xff, 0x3a, 0x73]).toString('base64')}`],
    ])('rejects credentials with %s as invalid_client', (_, header) => {
      const error = failure(() => parseClientCredentials(header, form()));
      expect(error).toBeInstanceOf(InvalidClient);
      expect(error.description).toBe('The HTTP Basic credentials are malformed.');
    });
  });

  describe('client_secret_post', () => {
    it('reads client_id and client_secret from the form', () => {
      expect(parseClientCredentials(undefined, form({ client_id: 'client-1', client_secret: 's3cret' }))).toEqual({
        method: 'client_secret_post',
        clientId: 'client-1',
        clientSecret: 's3cret',
      });
    });

    it.each([
      ['client_secret alone', { client_secret: 's3cret' }],
      ['nothing', {}],
    ])('rejects %s as invalid_client', (_, entries) => {
      const error = failure(() => parseClientCredentials(undefined, form(entries)));
      expect(error).toBeInstanceOf(InvalidClient);
      expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    });
  });

  describe('TLS client certificate (RFC 8705)', () => {
    it('reads client_id alone as authentication by the TLS certificate, checked later against the registration', () => {
      expect(parseClientCredentials(undefined, form({ client_id: 'client-1' }))).toEqual({
        method: 'tls_client_certificate',
        clientId: 'client-1',
      });
    });

    it('refuses a client_id no client can have', () => {
      expect(failure(() => parseClientCredentials(undefined, form({ client_id: 'a\u0001b' })))).toMatchObject({
        error: 'invalid_client',
      });
    });
  });

  describe('client assertion (RFC 7523)', () => {
    const unsigned = (payload: Record<string, unknown>) =>
      `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
    const assertion = unsigned({ iss: 'client-1', sub: 'client-1' });

    it("names the client by the assertion's iss, before anything is verified", () => {
      expect(
        parseClientCredentials(
          undefined,
          form({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion }),
        ),
      ).toEqual({ method: 'client_assertion', clientId: 'client-1', assertion });
    });

    it('accepts a client_id equal to iss, and refuses one that differs (invalid_client)', () => {
      const params = { client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion };
      expect(parseClientCredentials(undefined, form({ ...params, client_id: 'client-1' })).clientId).toBe('client-1');
      const error = failure(() => parseClientCredentials(undefined, form({ ...params, client_id: 'client-2' })));
      expect(error).toBeInstanceOf(InvalidClient);
      expect(error.description).toBe("The client_id parameter does not match the client assertion's iss.");
    });

    it.each([
      ['an assertion without its type', { client_assertion: assertion }],
      ['a type without an assertion', { client_assertion_type: JWT_BEARER_ASSERTION_TYPE }],
    ])('refuses %s as invalid_request', (_, entries) => {
      const error = failure(() => parseClientCredentials(undefined, form(entries)));
      expect(error).toBeInstanceOf(InvalidRequest);
      expect(error.description).toBe('client_assertion and client_assertion_type must be sent together.');
    });

    it('refuses another assertion type as invalid_request', () => {
      const entries = {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: assertion,
      };
      const error = failure(() => parseClientCredentials(undefined, form(entries)));
      expect(error).toBeInstanceOf(InvalidRequest);
      expect(error.description).toBe(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}.`);
    });

    it.each([
      ['not a JWT', 'opaque', 'The client assertion is not a signed JWT.'],
      ['a JWT without iss', unsigned({ sub: 'client-1' }), "The client assertion's iss must be the client_id."],
      ['a JWT whose iss is not a string', unsigned({ iss: 7 }), "The client assertion's iss must be the client_id."],
      [
        'a JWT whose iss holds a NUL',
        unsigned({ iss: 'client\u0000' }),
        "The client assertion's iss must be the client_id.",
      ],
    ])('refuses %s as invalid_client', (_, value, description) => {
      const entries = { client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: value };
      const error = failure(() => parseClientCredentials(undefined, form(entries)));
      expect(error).toBeInstanceOf(InvalidClient);
      expect(error.description).toBe(description);
    });
  });

  describe('more than one method (RFC 6749 §2.3)', () => {
    it.each([
      ['Basic and client_secret', basic('client-1:s3cret'), { client_id: 'client-1', client_secret: 's3cret' }],
      ['Basic and a client_secret without client_id', basic('client-1:s3cret'), { client_secret: 's3cret' }],
      ['Basic and a client assertion', basic('client-1:s3cret'), { client_assertion: 'eyJ...' }],
      [
        'client_secret and a client assertion',
        undefined,
        { client_id: 'c', client_secret: 's', client_assertion: 'eyJ' },
      ],
    ])('rejects %s as invalid_request', (_, header, entries) => {
      const error = failure(() => parseClientCredentials(header, form(entries)));
      expect(error).toBeInstanceOf(InvalidRequest);
      expect(error).toMatchObject({
        status: 400,
        description: 'The request uses more than one client authentication method.',
      });
    });
  });
});

describe('verifyClientCredentials', () => {
  const client: RegisteredClient = {
    clientId: 'client-1',
    secretSha256: sha256Hex('s3cret'),
    sealedSecret: null,
    metadata: validateClientMetadata(
      { client_name: 'Call centre', backchannel_token_delivery_mode: 'poll' },
      new EgressPolicyChecker({ allowHttp: false, allowedNetworks: [] }),
    ),
    registeredAt: '2026-11-21T10:00:00.000Z',
  };
  const presented: ClientCredentials = { method: 'client_secret_basic', clientId: 'client-1', clientSecret: 's3cret' };
  const now = new Date('2026-12-06T10:00:00.000Z');

  it('returns the client for its secret and its registered method', () => {
    expect(verifyClientCredentials(client, presented, now)).toBe(client);
  });

  it.each([
    ['an unknown client', null, presented],
    ['a wrong secret', client, { ...presented, clientSecret: 's3cret ' }],
    ['an empty secret', client, { ...presented, clientSecret: '' }],
    ['the digest sent as the secret', client, { ...presented, clientSecret: client.secretSha256! }],
    ['a method the client did not register', client, { ...presented, method: 'client_secret_post' as const }],
  ])('rejects %s with the one generic invalid_client', (_, registered, credentials) => {
    const error = failure(() => verifyClientCredentials(registered, credentials, now));
    expect(error).toBeInstanceOf(InvalidClient);
    expect(error.description).toBe(CLIENT_AUTHENTICATION_FAILED);
    expect(CLIENT_AUTHENTICATION_FAILED).toBe('Client authentication failed.');
  });

  it('accepts client_secret_post for a client registered with it', () => {
    const postClient = {
      ...client,
      metadata: { ...client.metadata, token_endpoint_auth_method: 'client_secret_post' as const },
    };
    expect(verifyClientCredentials(postClient, { ...presented, method: 'client_secret_post' }, now)).toBe(postClient);
  });

  it('accepts the previous secret after a rotation until its grace period ends, never after', () => {
    const rotated: RegisteredClient = {
      ...client,
      secretSha256: sha256Hex('n3w'),
      previousSecret: { secretSha256: sha256Hex('s3cret'), validUntil: '2026-12-06T10:05:00.000Z' },
    };
    expect(verifyClientCredentials(rotated, { ...presented, clientSecret: 'n3w' }, now)).toBe(rotated);
    expect(verifyClientCredentials(rotated, presented, now)).toBe(rotated);
    const later = new Date('2026-12-06T10:05:00.000Z');
    expect(failure(() => verifyClientCredentials(rotated, presented, later))).toBeInstanceOf(InvalidClient);
    expect(verifyClientCredentials(rotated, { ...presented, clientSecret: 'n3w' }, later)).toBe(rotated);
  });
});
