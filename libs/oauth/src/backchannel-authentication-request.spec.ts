import {
  InvalidAuthorizationDetails,
  InvalidBindingMessage,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  type OAuthError,
} from './oauth-errors.js';
import { parseFormBody, type FormParameters } from './form-parameters.js';
import {
  parseBackchannelAuthenticationRequest,
  type BackchannelRequestPolicy,
} from './backchannel-authentication-request.js';

const poll: BackchannelRequestPolicy = { allowedScopes: ['openid', 'profile', 'email'], deliveryMode: 'poll' };
const ping: BackchannelRequestPolicy = { ...poll, deliveryMode: 'ping' };
const push: BackchannelRequestPolicy = { ...poll, deliveryMode: 'push' };

const valid = { scope: 'openid profile', login_hint: 'alice@example.com' };
const API = 'https://api.example.com/';
const rich: BackchannelRequestPolicy = {
  ...poll,
  allowedScopes: ['openid', 'profile', 'offline_access'],
  allowedResources: ['https://issuer.example/', API],
  allowedAuthorizationDetailTypes: ['payment_initiation'],
};
const payment = {
  type: 'payment_initiation',
  actions: ['initiate'],
  instructedAmount: { currency: 'EUR', amount: '1.00' },
};

function params(values: Record<string, string>): FormParameters {
  return parseFormBody(new URLSearchParams(values).toString());
}

function parse(values: Record<string, string>, policy = poll) {
  return parseBackchannelAuthenticationRequest(params(values), policy);
}

function errorOf(values: Record<string, string>, policy = poll): OAuthError {
  try {
    parse(values, policy);
  } catch (error) {
    return error as OAuthError;
  }
  throw new Error(`expected ${JSON.stringify(values)} to be refused`);
}

/** RFC 6749 §5.2, written out independently of the code under test. */
const RFC_6749_ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

const token1024 = `${'A'.repeat(1023)}=`;

/** Every way a request can be refused, with the error it must get. */
interface Refusal {
  refused: string;
  values: Record<string, string>;
  error: new (...args: never[]) => OAuthError;
  policy?: BackchannelRequestPolicy;
}

const refusals: Refusal[] = [
  {
    refused: 'offline_access without the refresh_token grant',
    values: { ...valid, scope: 'openid offline_access' },
    error: InvalidScope,
    policy: rich,
  },
  {
    refused: 'a resource the client may not ask for',
    values: { ...valid, resource: 'https://other.example/' },
    error: InvalidTarget,
    policy: rich,
  },
  { refused: 'a relative resource', values: { ...valid, resource: '/api' }, error: InvalidTarget, policy: rich },
  {
    refused: 'a resource with a fragment',
    values: { ...valid, resource: `${API}#x` },
    error: InvalidTarget,
    policy: rich,
  },
  {
    refused: 'a resource with a space',
    values: { ...valid, resource: `${API} ${API}` },
    error: InvalidTarget,
    policy: rich,
  },
  {
    refused: 'authorization_details that are not JSON',
    values: { ...valid, authorization_details: '[{' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'authorization_details that are an object',
    values: { ...valid, authorization_details: JSON.stringify(payment) },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'empty authorization_details',
    values: { ...valid, authorization_details: '[]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'an authorization detail without a type',
    values: { ...valid, authorization_details: '[{"actions":["read"]}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'an authorization detail of a type the client may not ask for',
    values: { ...valid, authorization_details: '[{"type":"account_information"}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'actions that are not strings',
    values: { ...valid, authorization_details: '[{"type":"payment_initiation","actions":[1]}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'an identifier that is not a string',
    values: { ...valid, authorization_details: '[{"type":"payment_initiation","identifier":{}}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'a bidi override in an authorization detail',
    values: { ...valid, authorization_details: '[{"type":"payment_initiation","creditor":"\u202eA"}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'a lone surrogate in an authorization detail',
    values: { ...valid, authorization_details: '[{"type":"payment_initiation","creditor":"\\ud800"}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'authorization details nested too deep',
    values: { ...valid, authorization_details: '[{"type":"payment_initiation","a":{"b":{"c":{"d":{"e":{"f":1}}}}}}]' },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  {
    refused: 'eleven authorization details',
    values: { ...valid, authorization_details: JSON.stringify(Array(11).fill(payment)) },
    error: InvalidAuthorizationDetails,
    policy: rich,
  },
  { refused: 'a claims parameter that is not JSON', values: { ...valid, claims: '{' }, error: InvalidRequest },
  { refused: 'a claims parameter that is an array', values: { ...valid, claims: '[]' }, error: InvalidRequest },
  {
    refused: 'a claims userinfo member that is not an object',
    values: { ...valid, claims: '{"userinfo":["email"]}' },
    error: InvalidRequest,
  },
  {
    refused: 'an individual claim request of the wrong shape',
    values: { ...valid, claims: '{"id_token":{"email":{"essential":"yes"}}}' },
    error: InvalidRequest,
  },
  {
    refused: 'a malformed claim name',
    values: { ...valid, claims: '{"userinfo":{"e mail":null}}' },
    error: InvalidRequest,
  },
  { refused: 'no scope', values: { login_hint: 'alice' }, error: InvalidRequest },
  { refused: 'a scope of spaces', values: { ...valid, scope: '   ' }, error: InvalidRequest },
  { refused: 'a malformed scope', values: { ...valid, scope: 'openid "profile"' }, error: InvalidScope },
  {
    refused: 'a scope without openid',
    values: { ...valid, scope: 'profile email' },
    error: InvalidScope,
  },
  {
    refused: 'a scope the client may not request',
    values: { ...valid, scope: 'openid admin' },
    error: InvalidScope,
  },
  { refused: 'no hint', values: { scope: 'openid' }, error: InvalidRequest },
  { refused: 'two hints', values: { ...valid, login_hint_token: 'eyJ.e30.sig' }, error: InvalidRequest },
  {
    refused: 'three hints',
    values: { ...valid, login_hint_token: 'a', id_token_hint: 'b' },
    error: InvalidRequest,
  },
  {
    refused: 'a login_hint_token that is not a JWT',
    values: { scope: 'openid', login_hint_token: 'alice@example.com' },
    error: InvalidRequest,
  },
  {
    refused: 'an id_token_hint of two parts',
    values: { scope: 'openid', id_token_hint: 'eyJ.e30' },
    error: InvalidRequest,
  },
  {
    refused: 'an id_token_hint longer than 8192 characters',
    values: { scope: 'openid', id_token_hint: `eyJ.${'e'.repeat(8190)}.sig` },
    error: InvalidRequest,
  },
  {
    refused: 'a login_hint of 257 characters',
    values: { ...valid, login_hint: 'a'.repeat(257) },
    error: InvalidRequest,
  },
  {
    refused: 'a binding_message of 257 characters',
    values: { ...valid, binding_message: 'x'.repeat(257) },
    error: InvalidBindingMessage,
  },
  {
    refused: 'a binding_message with a bidi override',
    values: { ...valid, binding_message: 'pay \u202E1234' },
    error: InvalidBindingMessage,
  },
  {
    refused: 'a requested_expiry of zero',
    values: { ...valid, requested_expiry: '0' },
    error: InvalidRequest,
  },
  {
    refused: 'a negative requested_expiry',
    values: { ...valid, requested_expiry: '-30' },
    error: InvalidRequest,
  },
  {
    refused: 'a signed requested_expiry',
    values: { ...valid, requested_expiry: '+30' },
    error: InvalidRequest,
  },
  {
    refused: 'a decimal requested_expiry',
    values: { ...valid, requested_expiry: '30.5' },
    error: InvalidRequest,
  },
  {
    refused: 'an exponent requested_expiry',
    values: { ...valid, requested_expiry: '3e1' },
    error: InvalidRequest,
  },
  {
    refused: 'a requested_expiry with spaces',
    values: { ...valid, requested_expiry: ' 30' },
    error: InvalidRequest,
  },
  {
    refused: 'a requested_expiry of 10 digits',
    values: { ...valid, requested_expiry: '1000000000' },
    error: InvalidRequest,
  },
  {
    refused: 'a non-numeric requested_expiry',
    values: { ...valid, requested_expiry: 'soon' },
    error: InvalidRequest,
  },
  { refused: 'a ping request without client_notification_token', values: valid, error: InvalidRequest, policy: ping },
  {
    refused: 'no binding_message from a client that must send one (FAPI-CIBA)',
    values: valid,
    error: InvalidRequest,
    policy: { ...poll, bindingMessageRequired: true },
  },
  { refused: 'a push request without client_notification_token', values: valid, error: InvalidRequest, policy: push },
  {
    refused: 'a client_notification_token of 1025 characters',
    values: { ...valid, client_notification_token: `A${token1024}` },
    error: InvalidRequest,
    policy: ping,
  },
  {
    refused: 'a client_notification_token with a space',
    values: { ...valid, client_notification_token: 'abc def' },
    error: InvalidRequest,
    policy: ping,
  },
  {
    refused: 'a client_notification_token with a quote',
    values: { ...valid, client_notification_token: 'abc"' },
    error: InvalidRequest,
    policy: ping,
  },
  {
    refused: 'a client_notification_token with = inside',
    values: { ...valid, client_notification_token: 'ab=c' },
    error: InvalidRequest,
    policy: ping,
  },
  {
    refused: 'a client_notification_token of only =',
    values: { ...valid, client_notification_token: '==' },
    error: InvalidRequest,
    policy: ping,
  },
];

describe('parseBackchannelAuthenticationRequest', () => {
  it('returns the request of a minimal poll client', () => {
    expect(parse(valid)).toEqual({
      scope: ['openid', 'profile'],
      acrValues: [],
      hint: { kind: 'login_hint', value: 'alice@example.com' },
      bindingMessage: null,
      requestedExpiry: null,
      clientNotificationToken: null,
      userCode: null,
      resources: [],
      authorizationDetails: undefined,
      requestedClaims: undefined,
    });
  });

  it('returns every optional parameter and ignores unknown ones', () => {
    expect(
      parse(
        {
          scope: 'email  openid email',
          login_hint: 'alice',
          acr_values: 'urn:acr:strong  urn:acr:basic',
          binding_message: ' \u53d6\u5f15 <b>1234</b> \u{1F600} ',
          requested_expiry: '030',
          client_notification_token: 'c2VjcmV0LXRva2Vu-._~+/==',
          user_code: '1234',
          request_context: '{}',
          unknown: 'x',
        },
        ping,
      ),
    ).toEqual({
      scope: ['email', 'openid'],
      acrValues: ['urn:acr:strong', 'urn:acr:basic'],
      hint: { kind: 'login_hint', value: 'alice' },
      bindingMessage: ' \u53d6\u5f15 <b>1234</b> \u{1F600} ',
      requestedExpiry: 30,
      clientNotificationToken: 'c2VjcmV0LXRva2Vu-._~+/==',
      userCode: '1234',
      resources: [],
      authorizationDetails: undefined,
      requestedClaims: undefined,
    });
  });

  it('takes repeated resources, the authorization details and the claims asked for', () => {
    const form = new URLSearchParams({ scope: 'openid offline_access', login_hint: 'alice' });
    form.append('resource', API);
    form.append('resource', 'https://issuer.example/');
    form.append('resource', API);
    form.append('authorization_details', JSON.stringify([payment]));
    form.append(
      'claims',
      JSON.stringify({
        userinfo: { email: null, birthdate: { essential: true } },
        id_token: { acr: { values: ['phr'] } },
        other: {},
      }),
    );
    const request = parseBackchannelAuthenticationRequest(parseFormBody(form.toString()), {
      ...rich,
      refreshTokenGrant: true,
    });
    expect(request.scope).toEqual(['openid', 'offline_access']);
    expect(request.resources).toEqual([API, 'https://issuer.example/']);
    expect(request.authorizationDetails).toEqual([payment]);
    expect(request.requestedClaims).toEqual({ userinfo: ['email', 'birthdate'], id_token: ['acr'] });
  });

  it('does not care about scope order', () => {
    expect(parse({ ...valid, scope: 'email profile openid' }).scope).toEqual(['email', 'profile', 'openid']);
  });

  it('accepts a login_hint of 256 characters and the largest requested_expiry', () => {
    expect(parse({ ...valid, login_hint: '\u00e9'.repeat(256) }).hint.value).toHaveLength(256);
    expect(parse({ ...valid, requested_expiry: '999999999' }).requestedExpiry).toBe(999999999);
  });

  it('accepts 10 acr_values of 256 characters, and refuses an 11th value or a 257th character', () => {
    const longest = Array.from({ length: 10 }, (_, index) => `urn:acr:${index}`.padEnd(256, 'x'));
    expect(parse({ ...valid, acr_values: longest.join(' ') }).acrValues).toEqual(longest);
    for (const acrValues of [[...longest, 'urn:acr:basic'], ['x'.repeat(257)]]) {
      const refused = errorOf({ ...valid, acr_values: acrValues.join(' ') });
      expect(refused).toBeInstanceOf(InvalidRequest);
      expect(refused.description).toBe('The acr_values must be at most 10 values of at most 256 characters each.');
    }
  });

  it('accepts a 1024-character client_notification_token with a trailing =', () => {
    expect(parse({ ...valid, client_notification_token: token1024 }, push).clientNotificationToken).toBe(token1024);
  });

  it('checks a client_notification_token that a poll client sends anyway', () => {
    expect(parse({ ...valid, client_notification_token: 'abc' }).clientNotificationToken).toBe('abc');
    expect(errorOf({ ...valid, client_notification_token: 'a b' })).toBeInstanceOf(InvalidRequest);
  });

  it('takes a login_hint_token or an id_token_hint as a JWT, verified later with the keys', () => {
    expect(parse({ scope: 'openid', id_token_hint: 'eyJ.e30.sig' }).hint).toEqual({
      kind: 'id_token_hint',
      value: 'eyJ.e30.sig',
    });
    expect(parse({ scope: 'openid', login_hint_token: 'eyJ.e30.sig' }).hint.kind).toBe('login_hint_token');
    expect(errorOf({ scope: 'openid', login_hint_token: 'alice' }).description).toBe(
      'The login_hint_token is not a signed JWT (at most 8192 characters).',
    );
  });

  it.each(refusals)('refuses $refused', ({ values, error, policy }) => {
    expect(errorOf(values, policy)).toBeInstanceOf(error);
  });

  it('describes every refusal with RFC 6749 error_description characters only', () => {
    for (const { values, policy } of refusals) {
      expect(errorOf(values, policy).description).toMatch(RFC_6749_ERROR_DESCRIPTION);
    }
  });
});
