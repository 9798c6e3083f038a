import { InvalidClient } from '@backchannel/oauth';
import { type ClientKey, clientAssertion, newClientKey } from '@backchannel/testing';
import { SignJWT, UnsecuredJWT } from 'jose';
import { CLIENT_ASSERTION_MAX_LIFETIME_SECONDS, verifyClientAssertion } from './client-assertion.js';
import { CLIENT_AUTHENTICATION_FAILED } from './client-credentials.js';
import { keyClient } from './key-client.fixture.js';
import type { RegisteredClient } from './registered-client.js';
import { ClientKeySets } from './client-key-sets.js';

/** The one client_secret_jwt client's secret (the registry keeps it sealed: see client-registry.int-spec). */
const SECRET = 'a-client-secret-of-at-least-32-characters';
const secretKey = async () => new TextEncoder().encode(SECRET);

/** Keys by value only: no test here registers a jwks_uri. */
const keySets = new ClientKeySets(() => Promise.reject(new Error('no jwks_uri here')), {
  cacheSeconds: 300,
  minRefetchSeconds: 60,
});

const issuer = 'https://as.example';
const audiences = [issuer, `${issuer}/token`, `${issuer}/bc-authorize`];
const now = new Date('2026-12-05T12:00:00Z');
const nowSeconds = now.getTime() / 1000;

const es256 = newClientKey('ES256');
const ps256 = newClientKey('PS256');
const eddsa = newClientKey('EdDSA');
const rs256 = newClientKey('RS256');
const stranger = newClientKey('ES256');

const keyClientOf = (keys: ClientKey[], alg?: 'PS256' | 'ES256' | 'EdDSA') =>
  keyClient('client-1', keys, alg && { token_endpoint_auth_signing_alg: alg });

const client = keyClientOf([es256, ps256, eddsa]);

function sign(key: ClientKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return clientAssertion(key, { clientId: 'client-1', audience: issuer, claims, header, now });
}

async function refusal(registered: RegisteredClient | null, assertion: string | Promise<string>): Promise<string> {
  try {
    await verifyClientAssertion(registered, await assertion, { audiences, now, keySets, secretKey });
  } catch (error) {
    if (error instanceof InvalidClient) return error.description;
    throw error;
  }
  throw new Error('the assertion was accepted');
}

describe('verifyClientAssertion (private_key_jwt)', () => {
  it.each([
    ['ES256', es256],
    ['PS256', ps256],
    ['EdDSA', eddsa],
  ])('accepts an assertion signed %s with a registered key, and returns its jti and exp', async (_, key) => {
    const verified = await verifyClientAssertion(client, await sign(key, { jti: 'j-1' }), {
      audiences,
      now,
      keySets,
      secretKey,
    });
    expect(verified).toEqual({ client, jti: 'j-1', expiresAt: new Date((nowSeconds + 60) * 1000) });
  });

  it.each(audiences)('accepts aud %s, alone or in an array', async (audience) => {
    for (const aud of [audience, ['https://elsewhere.example', audience]]) {
      await expect(
        verifyClientAssertion(client, await sign(es256, { aud }), { audiences, now, keySets, secretKey }),
      ).resolves.toBeDefined();
    }
  });

  const claims = { iss: 'client-1', sub: 'client-1', aud: issuer, jti: 'j', exp: nowSeconds + 60 };
  const secretClient = {
    ...client,
    metadata: { ...client.metadata, token_endpoint_auth_method: 'client_secret_basic' },
  };
  it.each<[string, RegisteredClient | null, () => Promise<string> | string]>([
    ['an unknown client', null, () => sign(es256)],
    ['a client registered with a secret', secretClient as RegisteredClient, () => sign(es256)],
    ['a key the client did not register (same kid)', client, () => sign(stranger, {}, { kid: es256.kid })],
    ['RS256, not a FAPI algorithm', keyClientOf([rs256]), () => sign(rs256)],
    ['HS256', client, () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.alloc(32, 7))],
    ['alg none', client, () => new UnsecuredJWT(claims).encode()],
    ['an algorithm other than the registered one', keyClientOf([es256, ps256], 'PS256'), () => sign(es256)],
    [
      'a payload changed after signing',
      client,
      async () =>
        (await sign(es256)).replace(
          /\.[^.]+\./,
          `.${Buffer.from(JSON.stringify({ ...claims, sub: 'x' })).toString('base64url')}.`,
        ),
    ],
    ['not a JWT', client, () => 'not-a-jwt'],
  ])('refuses %s with the one generic description', async (_, registered, assertion) => {
    expect(await refusal(registered, assertion())).toBe(CLIENT_AUTHENTICATION_FAILED);
  });

  it("names the defect of a signed assertion: its claims are the client's own doing", async () => {
    expect(await refusal(client, sign(es256, { sub: 'client-2' }))).toBe(
      "The client assertion's sub claim is missing or not acceptable here.",
    );
    expect(await refusal(client, sign(es256, { aud: 'https://other-as.example' }))).toBe(
      "The client assertion's aud claim is missing or not acceptable here.",
    );
    expect(await refusal(client, sign(es256, { aud: undefined }))).toBe(
      "The client assertion's aud claim is missing or not acceptable here.",
    );
    expect(await refusal(client, sign(es256, { exp: undefined }))).toBe(
      "The client assertion's exp claim is missing or not acceptable here.",
    );
    expect(await refusal(client, sign(es256, { jti: undefined }))).toBe(
      "The client assertion's jti claim is missing or not acceptable here.",
    );
    expect(await refusal(client, sign(es256, { jti: 42 }))).toBe(
      "The client assertion's jti must be a string of 1 to 512 characters.",
    );
    expect(await refusal(client, sign(es256, { exp: nowSeconds - 11 }))).toBe('The client assertion has expired.');
    expect(await refusal(client, sign(es256, { nbf: nowSeconds + 30 }))).toBe(
      "The client assertion's nbf claim is missing or not acceptable here.",
    );
    expect(await refusal(client, sign(es256, { iat: nowSeconds + 61 }))).toBe(
      "The client assertion's iat is in the future.",
    );
    expect(await refusal(client, sign(es256, { exp: nowSeconds + CLIENT_ASSERTION_MAX_LIFETIME_SECONDS + 11 }))).toBe(
      `The client assertion's exp must be at most ${CLIENT_ASSERTION_MAX_LIFETIME_SECONDS} seconds after now.`,
    );
  });

  it('allows clocks 10 seconds apart', async () => {
    const skewed = [{ exp: nowSeconds - 9 }, { nbf: nowSeconds + 9 }, { iat: nowSeconds + 59 }];
    for (const claims of skewed) {
      await expect(
        verifyClientAssertion(client, await sign(es256, claims), { audiences, now, keySets, secretKey }),
      ).resolves.toBeDefined();
    }
  });
});

describe('verifyClientAssertion (client_secret_jwt)', () => {
  const secretClient: RegisteredClient = {
    ...keyClient('client-1', []),
    sealedSecret: 'sealed',
    metadata: { ...keyClient('client-1', []).metadata, token_endpoint_auth_method: 'client_secret_jwt' },
  };
  const mac = (secret: string, claims: Record<string, unknown> = {}, alg = 'HS256') =>
    new SignJWT({
      iss: 'client-1',
      sub: 'client-1',
      aud: issuer,
      jti: 'j-1',
      iat: nowSeconds,
      exp: nowSeconds + 60,
      ...claims,
    })
      .setProtectedHeader({ alg })
      .sign(new TextEncoder().encode(secret));

  it('accepts an HS256 MAC made with the secret', async () => {
    await expect(
      verifyClientAssertion(secretClient, await mac(SECRET), { audiences, now, keySets, secretKey }),
    ).resolves.toMatchObject({ jti: 'j-1' });
  });

  it('refuses another secret, another HMAC, an asymmetric signature and none, all alike', async () => {
    expect(await refusal(secretClient, mac('another-secret-of-at-least-32-characters!'))).toBe(
      CLIENT_AUTHENTICATION_FAILED,
    );
    expect(await refusal(secretClient, mac(SECRET, {}, 'HS512'))).toBe(CLIENT_AUTHENTICATION_FAILED);
    expect(await refusal(secretClient, sign(es256))).toBe(CLIENT_AUTHENTICATION_FAILED);
    expect(await refusal(secretClient, new UnsecuredJWT({ iss: 'client-1', sub: 'client-1' }).encode())).toBe(
      CLIENT_AUTHENTICATION_FAILED,
    );
  });

  it('never lets a key-based client MAC with anything (no algorithm confusion)', async () => {
    // the client's public key, as bytes anyone has, used as an HMAC secret
    const publicKeyAsSecret = JSON.stringify(es256.publicJwk);
    expect(await refusal(client, mac(publicKeyAsSecret))).toBe(CLIENT_AUTHENTICATION_FAILED);
    expect(await refusal(client, mac(SECRET))).toBe(CLIENT_AUTHENTICATION_FAILED);
  });
});
