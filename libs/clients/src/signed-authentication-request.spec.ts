import { InvalidRequest } from '@backchannel/oauth';
import { type ClientKey, newClientKey, signedAuthenticationRequest } from '@backchannel/testing';
import { SignJWT, UnsecuredJWT } from 'jose';
import { keyClient } from './key-client.fixture.js';
import type { RegisteredClient } from './registered-client.js';
import { readSignedAuthenticationRequest } from './signed-authentication-request.js';
import { ClientKeySets } from './client-key-sets.js';

/** Keys by value only: no test here registers a jwks_uri. */
const keySets = new ClientKeySets(() => Promise.reject(new Error('no jwks_uri here')), {
  cacheSeconds: 300,
  minRefetchSeconds: 60,
});

const issuer = 'https://as.example';
const now = new Date('2026-12-05T12:00:00Z');
const nowSeconds = now.getTime() / 1000;
const ps256 = newClientKey('PS256');
const es256 = newClientKey('ES256');
const rs256 = newClientKey('RS256');
const params = { scope: 'openid', login_hint: 'alice@example.com', binding_message: 'Pay 12 EUR' };

const client = (alg: 'PS256' | 'ES256' | undefined, keys: ClientKey[] = [ps256, es256]) =>
  keyClient('bank', keys, alg && { backchannel_authentication_request_signing_alg: alg });

const signing = client('PS256');
const auth = { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'x' };

function sign(key: ClientKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return signedAuthenticationRequest(key, { clientId: 'bank', issuer, params, claims, header, now });
}

function read(registered: RegisteredClient, form: Record<string, string>) {
  return readSignedAuthenticationRequest(registered, new Map(Object.entries(form)), { issuer, now, keySets });
}

async function refusal(registered: RegisteredClient, form: Record<string, string> | Promise<Record<string, string>>) {
  try {
    await read(registered, await form);
  } catch (error) {
    if (error instanceof InvalidRequest) return error.description;
    throw error;
  }
  throw new Error('the request was accepted');
}

const withRequest = async (request: string | Promise<string>) => ({ ...auth, request: await request });

describe('readSignedAuthenticationRequest (CIBA §7.1.1, checklist E)', () => {
  it('reads the parameters from the verified JWT, leaving out its own claims', async () => {
    const signed = await read(signing, await withRequest(sign(ps256, { jti: 'r-1' })));
    expect(Object.fromEntries(signed!.params)).toEqual(params);
    expect(signed).toMatchObject({ jti: 'r-1', expiresAt: new Date((nowSeconds + 300) * 1000) });
  });

  it('takes requested_expiry as a number or a string', async () => {
    for (const requested_expiry of [120, '120']) {
      const signed = await read(signing, await withRequest(sign(ps256, { requested_expiry })));
      expect(signed!.params.get('requested_expiry')).toBe('120');
    }
  });

  it('takes claims and authorization_details as JSON, and resource as a string or an array', async () => {
    const authorization_details = [{ type: 'payment_initiation', actions: ['initiate'] }];
    const claims = { userinfo: { email: null } };
    const resource = ['https://api.example.com/', 'urn:example:ledger'];
    const signed = await read(signing, await withRequest(sign(ps256, { authorization_details, claims, resource })));
    expect(JSON.parse(signed!.params.get('authorization_details')!)).toEqual(authorization_details);
    expect(JSON.parse(signed!.params.get('claims')!)).toEqual(claims);
    expect(signed!.params.get('resource')).toBe('https://api.example.com/ urn:example:ledger');
    const one = await read(signing, await withRequest(sign(ps256, { resource: resource[0] })));
    expect(one!.params.get('resource')).toBe(resource[0]);
    await expect(
      read(signing, await withRequest(sign(ps256, { resource: ['https://a.example/ https://b.example/'] }))),
    ).rejects.toThrow(/absolute URI/);
  });

  it.each([undefined, 'oauth-authz-req+jwt', 'OautH-auThZ-REQ+jWt', 'application/oauth-authz-req+jwt'])(
    'accepts typ %p',
    async (typ) => {
      await expect(read(signing, await withRequest(sign(ps256, {}, { typ })))).resolves.not.toBeNull();
    },
  );

  it('leaves an unsigned request of a client that registered no algorithm as it is', async () => {
    await expect(read(client(undefined), { ...auth, ...params })).resolves.toBeNull();
  });

  it('refuses an unsigned request when the client registered an algorithm, and a signed one when it did not', async () => {
    expect(await refusal(signing, { ...auth, ...params })).toBe(
      'This client registered backchannel_authentication_request_signing_alg: send the authentication request signed, in the request parameter.',
    );
    expect(await refusal(client(undefined), withRequest(sign(ps256)))).toBe(
      'Signed authentication requests need backchannel_authentication_request_signing_alg registered for the client.',
    );
  });

  it('refuses parameters beside the signed request, naming them', async () => {
    const form = await withRequest(sign(ps256));
    expect(await refusal(signing, { ...form, login_hint: 'alice@example.com' })).toBe(
      'Authentication request parameters go inside the signed request, not beside it (login_hint).',
    );
    expect(await refusal(signing, { ...form, 'x"y': '1' })).toBe(
      'Authentication request parameters go inside the signed request, not beside it.',
    );
  });

  const unverified =
    "The signed authentication request does not verify with the client's registered keys and signing algorithm.";
  const claims = {
    ...params,
    aud: issuer,
    iss: 'bank',
    exp: nowSeconds + 300,
    iat: nowSeconds,
    nbf: nowSeconds,
    jti: 'j',
  };
  it.each<[string, RegisteredClient, () => Promise<string> | string]>([
    ['RS256, even with an RSA key', client('PS256', [ps256, rs256]), () => sign(rs256)],
    ['an algorithm other than the registered one', signing, () => sign(es256)],
    ['alg none', signing, () => new UnsecuredJWT(claims).encode()],
    ['HS256', signing, () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.alloc(32, 1))],
    ["another client's key", signing, () => sign(newClientKey('PS256', ps256.kid))],
    ['not a JWT', signing, () => 'request'],
  ])('refuses %s: the signature does not verify', async (_, registered, request) => {
    expect(await refusal(registered, withRequest(request()))).toBe(unverified);
  });

  it.each(['aud', 'iss', 'exp', 'iat', 'nbf', 'jti'])('refuses a request without %s', async (claim) => {
    expect(await refusal(signing, withRequest(sign(ps256, { [claim]: undefined })))).toBe(
      `The signed authentication request's ${claim} claim is missing or not acceptable here.`,
    );
  });

  it('refuses wrong claim values, each with its own description', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [
        { aud: 'https://other.example' },
        {},
        "The signed authentication request's aud claim is missing or not acceptable here.",
      ],
      [
        { iss: 'another-client' },
        {},
        "The signed authentication request's iss claim is missing or not acceptable here.",
      ],
      [{ exp: nowSeconds - 60 }, {}, 'The signed authentication request has expired.'],
      [
        { nbf: nowSeconds + 600 },
        {},
        "The signed authentication request's nbf claim is missing or not acceptable here.",
      ],
      [
        { exp: nowSeconds + 70 * 60 },
        {},
        "The signed authentication request's exp must be at most 3600 seconds after its nbf.",
      ],
      [
        { nbf: nowSeconds - 70 * 60 },
        {},
        "The signed authentication request's exp must be at most 3600 seconds after its nbf.",
      ],
      [{ iat: nowSeconds + 120 }, {}, "The signed authentication request's iat is in the future."],
      [{}, { typ: 'JWT' }, "The signed authentication request's typ header is missing or not acceptable here."],
      [{ login_hint: 7 }, {}, 'login_hint must be a JSON string in the signed authentication request.'],
      [{ scope: ['openid'] }, {}, 'scope must be a JSON string in the signed authentication request.'],
      [{ login_hint: 'alice\u0000' }, {}, 'login_hint must not contain a NUL character.'],
      [{ request: 'nested' }, {}, 'A signed authentication request cannot hold another one.'],
    ];
    for (const [claimsOf, header, description] of cases) {
      expect(await refusal(signing, withRequest(sign(ps256, claimsOf, header)))).toBe(description);
    }
  });
});
