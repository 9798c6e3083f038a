import { JwtVerificationError, type JWK } from '@backchannel/crypto';
import type { ClientMetadata } from '@backchannel/events';
import { newClientKey } from '@backchannel/testing';
import { ClientKeySets, ClientKeysUnavailable, NoMatchingClientKey } from './client-key-sets.js';
import type { RegisteredClient } from './registered-client.js';

const JWKS_URI = 'https://client.example/jwks.json';

function client(metadata: Partial<ClientMetadata>, clientId = 'client-1'): RegisteredClient {
  return {
    clientId,
    secretSha256: null,
    sealedSecret: null,
    registeredAt: '2026-12-06T00:00:00.000Z',
    metadata: {
      client_name: 'Keys',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['urn:openid:params:grant-type:ciba'],
      scope: 'openid',
      backchannel_token_delivery_mode: 'poll',
      backchannel_user_code_parameter: false,
      ...metadata,
    },
  };
}

/** A client's jwks_uri as the test programs it, counting fetches, and a clock the test moves. */
function setUp(options = { cacheSeconds: 300, minRefetchSeconds: 60 }) {
  let now = 1_000_000;
  let published: unknown = { keys: [newClientKey('ES256', 'old').publicJwk] };
  const fetched: string[] = [];
  const keySets = new ClientKeySets(
    async (url) => {
      fetched.push(url);
      if (published instanceof Error) throw published;
      return published;
    },
    options,
    () => now,
  );
  return {
    keySets,
    fetched,
    publish: (document: unknown) => (published = document),
    advance: (seconds: number) => (now += seconds * 1000),
  };
}

/** A check that succeeds only with the key of `kid`, failing as jose does for an unknown kid. */
const needsKid = (kid: string) => async (jwks: { keys: JWK[] }) => {
  if (jwks.keys.some((key) => key.kid === kid)) return `verified with ${kid}`;
  throw new JwtVerificationError('ERR_JWKS_NO_MATCHING_KEY', 'no applicable key found in the JSON Web Key Set');
};

describe('ClientKeySets', () => {
  it('uses keys registered by value as they are, fetching nothing', async () => {
    const { keySets, fetched } = setUp();
    const registered = client({ jwks: { keys: [newClientKey('ES256', 'mine').publicJwk as never] } });
    await expect(keySets.verifyWith(registered, needsKid('mine'))).resolves.toBe('verified with mine');
    expect(fetched).toEqual([]);
  });

  it('fetches a jwks_uri once and caches it, then fetches again when the cache ages out', async () => {
    const { keySets, fetched, advance } = setUp();
    const byReference = client({ jwks_uri: JWKS_URI });
    await keySets.verifyWith(byReference, needsKid('old'));
    await keySets.verifyWith(byReference, needsKid('old'));
    expect(fetched).toEqual([JWKS_URI]);
    advance(301);
    await keySets.verifyWith(byReference, needsKid('old'));
    expect(fetched).toHaveLength(2);
  });

  it('shares one fetch among concurrent requests', async () => {
    const { keySets, fetched } = setUp();
    const byReference = client({ jwks_uri: JWKS_URI });
    await Promise.all(Array.from({ length: 5 }, () => keySets.verifyWith(byReference, needsKid('old'))));
    expect(fetched).toHaveLength(1);
  });

  it('fetches again for a key it does not know (rotation), but at most once per interval', async () => {
    const { keySets, fetched, publish, advance } = setUp();
    const byReference = client({ jwks_uri: JWKS_URI });
    await keySets.verifyWith(byReference, needsKid('old'));
    publish({ keys: [newClientKey('ES256', 'new').publicJwk] });

    // just fetched: a made-up kid cannot make us fetch again
    await expect(keySets.verifyWith(byReference, needsKid('new'))).rejects.toBeInstanceOf(JwtVerificationError);
    expect(fetched).toHaveLength(1);

    advance(61);
    await expect(keySets.verifyWith(byReference, needsKid('new'))).resolves.toBe('verified with new');
    expect(fetched).toHaveLength(2);
    // and a kid unknown to the fresh set too stays unknown, without a third fetch
    await expect(keySets.verifyWith(byReference, needsKid('nobody'))).rejects.toBeInstanceOf(JwtVerificationError);
    expect(fetched).toHaveLength(2);
  });

  it('retries with fresh keys when a certificate check finds no key (NoMatchingClientKey)', async () => {
    const { keySets, fetched, publish, advance } = setUp();
    const byReference = client({ jwks_uri: JWKS_URI });
    await keySets.verifyWith(byReference, needsKid('old'));
    publish({ keys: [newClientKey('ES256', 'new').publicJwk] });
    advance(61);
    const check = async (jwks: { keys: JWK[] }) => {
      if (jwks.keys.some((key) => key.kid === 'new')) return true;
      throw new NoMatchingClientKey('no registered certificate matches');
    };
    await expect(keySets.verifyWith(byReference, check)).resolves.toBe(true);
    expect(fetched).toHaveLength(2);
  });

  it('does not refetch for failures that new keys would not explain', async () => {
    const { keySets, fetched, advance } = setUp();
    const byReference = client({ jwks_uri: JWKS_URI });
    await keySets.verifyWith(byReference, needsKid('old'));
    advance(61);
    const expired = async () => {
      throw new JwtVerificationError('ERR_JWT_EXPIRED', '"exp" claim timestamp check failed');
    };
    await expect(keySets.verifyWith(byReference, expired)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    expect(fetched).toHaveLength(1);
  });

  it('says why the keys are unavailable: no keys, a failed fetch, or a document of bad keys', async () => {
    const { keySets, publish } = setUp();
    await expect(keySets.verifyWith(client({}), needsKid('old'))).rejects.toThrow(
      'The client registered no public keys (jwks or jwks_uri).',
    );
    publish(new Error('it answered HTTP 404'));
    await expect(keySets.verifyWith(client({ jwks_uri: JWKS_URI }, 'c-2'), needsKid('old'))).rejects.toThrow(
      new ClientKeysUnavailable("The client's jwks_uri could not be fetched (it answered HTTP 404)."),
    );
    publish({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] });
    await expect(keySets.verifyWith(client({ jwks_uri: JWKS_URI }, 'c-3'), needsKid('old'))).rejects.toThrow(
      "The client's jwks_uri does not hold usable keys: jwks key 0 holds private or symmetric key material: register public keys only.",
    );
  });
});
