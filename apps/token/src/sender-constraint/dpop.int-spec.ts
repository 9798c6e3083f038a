import { randomUUID } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { UseDpopNonce } from '@backchannel/oauth';
import { featureTestingModule, testConfig } from '@backchannel/testing';
import { CibaGrantHandler } from '../ciba-grant/ciba-grant.handler.js';
import { RefreshGrantHandler } from '../refresh-grant/refresh-grant.handler.js';
import {
  CIBA_GRANT,
  type TestClient,
  approvedRequest,
  clientForm,
  oauthErrorOf,
  registerClient,
} from '../testing/approved-requests.fixture.js';
import { TokenIntrospectionHandler } from '../token-management/token-introspection.handler.js';
import { TokenModule } from '../token.module.js';

const config = testConfig();
const TOKEN_URL = `${config.issuer}/token`;

interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
}

/**
 * DPoP (RFC 9449) at the token endpoint, on the real PostgreSQL, through the handlers the token
 * app wires: nonces, replay across two replicas, DPoP-bound access and refresh tokens, and the
 * client registered for DPoP-bound tokens.
 */
describe('DPoP at the token endpoint on PostgreSQL', () => {
  let replicas: TestingModule[];
  let app: TestingModule;
  let dpopClient: TestClient;
  let refreshClient: TestClient;
  let key: DpopKey;
  let nonce: string;

  beforeAll(async () => {
    replicas = await Promise.all(
      ['dpop-int-spec-a', 'dpop-int-spec-b'].map(async (name) => {
        const replica = await featureTestingModule(TokenModule, config, name).compile();
        await replica.init();
        return replica;
      }),
    );
    app = replicas[0]!;
    dpopClient = await registerClient(app, { dpop_bound_access_tokens: true });
    refreshClient = await registerClient(app, {
      grant_types: [CIBA_GRANT, 'refresh_token'],
      scope: 'openid email',
    });
    key = await dpopKey();
  });

  afterAll(async () => {
    await Promise.all(replicas?.map((replica) => replica.close()) ?? []);
  });

  function proof(signer: DpopKey, claims: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({
      jti: randomUUID(),
      htm: 'POST',
      htu: TOKEN_URL,
      iat: Math.floor(Date.now() / 1000),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: signer.jwk })
      .sign(signer.privateKey);
  }

  const redeem = (replica: TestingModule, client: TestClient, authReqId: string, dpopProof?: string) =>
    replica
      .get(CibaGrantHandler)
      .handle(
        clientForm(
          client,
          { grant_type: CIBA_GRANT, auth_req_id: authReqId },
          dpopProof === undefined ? {} : { dpopProof },
        ),
      );

  it('answers a proof without the server nonce with use_dpop_nonce and the nonce to use', async () => {
    const { authReqId } = await approvedRequest(app, dpopClient);
    const refusal: unknown = await redeem(app, dpopClient, authReqId, await proof(key)).catch(
      (error: unknown) => error,
    );

    expect(refusal).toBeInstanceOf(UseDpopNonce);
    nonce = (refusal as UseDpopNonce).nonce;
    expect(nonce).toMatch(/^[\w-]{43}$/);
    // the request is still there to redeem with a proof that carries the nonce
    const tokens = await redeem(app, dpopClient, authReqId, await proof(key, { nonce }));
    expect(tokens.token_type).toBe('DPoP');
  });

  it('binds the access token to the proof key (cnf.jkt), and introspection says so', async () => {
    const { authReqId } = await approvedRequest(app, dpopClient);
    const tokens = await redeem(app, dpopClient, authReqId, await proof(key, { nonce }));
    const jkt = await calculateJwkThumbprint(key.jwk, 'sha256');

    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    const introspected = await app
      .get(TokenIntrospectionHandler)
      .handle(clientForm(dpopClient, { token: tokens.access_token }));
    expect(introspected).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
  });

  it('refuses a proof used before, also when the replay reaches another replica', async () => {
    const first = await approvedRequest(app, dpopClient);
    const second = await approvedRequest(app, dpopClient);
    const once = await proof(key, { nonce });

    await redeem(replicas[0]!, dpopClient, first.authReqId, once);
    expect(await oauthErrorOf(redeem(replicas[1]!, dpopClient, second.authReqId, once))).toBe('invalid_dpop_proof');
    expect(await oauthErrorOf(redeem(replicas[0]!, dpopClient, second.authReqId, once))).toBe('invalid_dpop_proof');
  });

  it('refuses a client registered for DPoP-bound tokens that sends no proof, and broken proofs', async () => {
    const { authReqId } = await approvedRequest(app, dpopClient);
    expect(await oauthErrorOf(redeem(app, dpopClient, authReqId))).toBe('invalid_dpop_proof');
    const other = `${config.issuer}/bc-authorize`;
    expect(await oauthErrorOf(redeem(app, dpopClient, authReqId, await proof(key, { nonce, htu: other })))).toBe(
      'invalid_dpop_proof',
    );
    expect(await oauthErrorOf(redeem(app, dpopClient, authReqId, await proof(key, { nonce, htm: 'GET' })))).toBe(
      'invalid_dpop_proof',
    );
    const old = Math.floor(Date.now() / 1000) - 120;
    expect(await oauthErrorOf(redeem(app, dpopClient, authReqId, await proof(key, { nonce, iat: old })))).toBe(
      'invalid_dpop_proof',
    );
    // none of these used up the request
    await expect(redeem(app, dpopClient, authReqId, await proof(key, { nonce }))).resolves.toMatchObject({
      token_type: 'DPoP',
    });
  });

  it('keeps a bearer client bearer unless it sends a proof', async () => {
    const bearer = await approvedRequest(app, refreshClient);
    expect((await redeem(app, refreshClient, bearer.authReqId)).token_type).toBe('Bearer');
    const bound = await approvedRequest(app, refreshClient);
    expect((await redeem(app, refreshClient, bound.authReqId, await proof(key, { nonce }))).token_type).toBe('DPoP');
  });

  it('binds a refresh token to the DPoP key of its grant: refreshed only with a proof of that key', async () => {
    const { authReqId } = await approvedRequest(app, refreshClient);
    const tokens = await redeem(app, refreshClient, authReqId, await proof(key, { nonce }));
    const refresh = (dpopProof?: string) =>
      app
        .get(RefreshGrantHandler)
        .handle(
          clientForm(
            refreshClient,
            { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
            dpopProof === undefined ? {} : { dpopProof },
          ),
        );

    expect(await oauthErrorOf(refresh())).toBe('invalid_dpop_proof');
    expect(await oauthErrorOf(refresh(await proof(await dpopKey(), { nonce })))).toBe('invalid_grant');
    const refreshed = await refresh(await proof(key, { nonce }));
    expect(refreshed.token_type).toBe('DPoP');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual(decodeJwt(tokens.access_token).cnf);
  });
});
