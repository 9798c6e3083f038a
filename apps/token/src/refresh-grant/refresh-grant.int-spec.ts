import { X509Certificate, randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { type TestingModule } from '@nestjs/testing';
import { PostgresEventStore } from '@backchannel/event-store';
import type { AuthRequestEvent } from '@backchannel/events';
import { featureTestingModule, selfSignedClientCertificate, testConfig } from '@backchannel/testing';
import { DataSource } from 'typeorm';
import { CibaGrantHandler } from '../ciba-grant/ciba-grant.handler.js';
import {
  CIBA_GRANT,
  TEST_SUBJECT,
  type TestClient,
  approvedRequest,
  clientForm,
  oauthErrorOf,
  registerClient,
} from '../testing/approved-requests.fixture.js';
import { TokenIntrospectionHandler } from '../token-management/token-introspection.handler.js';
import { TokenRevocationHandler } from '../token-management/token-revocation.handler.js';
import { RefreshTokens } from '../token-minting/refresh-tokens.repository.js';
import { TokenModule } from '../token.module.js';
import { RefreshGrantHandler } from './refresh-grant.handler.js';

const config = testConfig();

/**
 * Refresh tokens, introspection and revocation on the real PostgreSQL, through the handlers the
 * token app wires: rotation, reuse detection (sequential and racing), another client's token,
 * expiry, certificate binding, and what introspection says of each.
 */
describe('refresh tokens, introspection and revocation on PostgreSQL', () => {
  let app: TestingModule;
  let store: PostgresEventStore;
  let refreshClient: TestClient;
  let otherClient: TestClient;
  let boundClient: TestClient;
  let noRefreshClient: TestClient;

  beforeAll(async () => {
    app = await featureTestingModule(TokenModule, config, 'refresh-int-spec').compile();
    await app.init();
    store = app.get(PostgresEventStore);
    const withRefresh = { grant_types: [CIBA_GRANT, 'refresh_token'], scope: 'openid email' };
    refreshClient = await registerClient(app, withRefresh);
    otherClient = await registerClient(app, withRefresh);
    boundClient = await registerClient(app, { ...withRefresh, tls_client_certificate_bound_access_tokens: true });
    noRefreshClient = await registerClient(app, {});
  });

  afterAll(async () => {
    await app?.close();
  });

  const form = (client: TestClient, params: Record<string, string>, certificate?: X509Certificate) =>
    clientForm(client, params, certificate && { certificate });

  /** An approved request of `client`, redeemed at the CIBA grant. */
  async function cibaTokens(client: TestClient, certificate?: X509Certificate) {
    const { authReqId, streamId } = await approvedRequest(app, client);
    const tokens = await app
      .get(CibaGrantHandler)
      .handle(form(client, { grant_type: CIBA_GRANT, auth_req_id: authReqId }, certificate));
    return { tokens, streamId };
  }

  const refresh = (
    client: TestClient,
    refreshToken: string,
    extra: Record<string, string> = {},
    cert?: X509Certificate,
  ) =>
    app
      .get(RefreshGrantHandler)
      .handle(form(client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, cert));
  const introspect = (client: TestClient, token: string) =>
    app.get(TokenIntrospectionHandler).handle(form(client, { token }));
  const revoke = (client: TestClient, token: string) => app.get(TokenRevocationHandler).handle(form(client, { token }));
  const errorOf = oauthErrorOf;

  it('issues a refresh token at the CIBA grant only to clients registered for the grant, and names its family in TokensIssued', async () => {
    const { tokens, streamId } = await cibaTokens(refreshClient);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const events = (await store.readStream<AuthRequestEvent>(streamId)).events;
    const issued = events.find((event) => event.type === 'TokensIssued');
    expect(issued?.data).toMatchObject({ refreshTokenFamilyId: expect.any(String) });
    expect(JSON.stringify(events)).not.toContain(tokens.refresh_token!);

    expect((await cibaTokens(noRefreshClient)).tokens.refresh_token).toBeUndefined();
  });

  it('rotates: each refresh answers a new access token and a new refresh token, and the used one is spent', async () => {
    const { tokens } = await cibaTokens(refreshClient);
    const first = await refresh(refreshClient, tokens.refresh_token!);
    expect(first).toMatchObject({
      token_type: 'Bearer',
      scope: 'openid email',
      expires_in: config.accessTokenTtlSeconds,
    });
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    const claims = JSON.parse(Buffer.from(first.access_token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      sub: TEST_SUBJECT,
      client_id: refreshClient.clientId,
      scope: 'openid email',
    });
    expect(claims.auth_time).toEqual(expect.any(Number));

    const second = await refresh(refreshClient, first.refresh_token, { scope: 'openid' });
    expect(second.scope).toBe('openid');
    expect(await introspect(refreshClient, tokens.refresh_token!)).toEqual({ active: false });
    expect(await introspect(refreshClient, second.refresh_token)).toMatchObject({
      active: true,
      scope: 'openid email',
    });
  });

  it('revokes the whole family when a used refresh token comes back, with every access token it issued', async () => {
    const { tokens } = await cibaTokens(refreshClient);
    const rotated = await refresh(refreshClient, tokens.refresh_token!);
    expect(await introspect(otherClient, rotated.access_token)).toMatchObject({ active: true });

    expect(await errorOf(refresh(refreshClient, tokens.refresh_token!))).toBe('invalid_grant');

    expect(await errorOf(refresh(refreshClient, rotated.refresh_token))).toBe('invalid_grant');
    expect(await introspect(refreshClient, rotated.refresh_token)).toEqual({ active: false });
    expect(await introspect(otherClient, rotated.access_token)).toEqual({ active: false });
    expect(await introspect(otherClient, tokens.access_token)).toEqual({ active: false });
  });

  it('lets exactly one of racing uses of one refresh token through, and treats the rest as reuse', async () => {
    const { tokens } = await cibaTokens(refreshClient);
    // every use reads the token before any of them rotates it (the reads go to PostgreSQL; only
    // their answers wait for each other), then all try the compare-and-set at once
    const repository = app.get(RefreshTokens);
    const read = repository.find.bind(repository);
    const racers = 6;
    let arrived = 0;
    let allRead!: () => void;
    const everyoneHasRead = new Promise<void>((resolve) => (allRead = resolve));
    const finds = jest.spyOn(repository, 'find').mockImplementation(async (token) => {
      const found = await read(token);
      if (++arrived === racers) allRead();
      await everyoneHasRead;
      return found;
    });
    const rotations = jest.spyOn(repository, 'rotate');
    const outcomes = await Promise.allSettled(
      Array.from({ length: racers }, () => refresh(refreshClient, tokens.refresh_token!)),
    );
    const attempts = rotations.mock.calls.length;
    finds.mockRestore();
    rotations.mockRestore();
    const granted = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = await Promise.all(
      outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [oauthErrorOf(Promise.reject(outcome.reason))] : [],
      ),
    );
    // the race happened: every use read the token unused and tried to rotate it; one update won
    expect(attempts).toBe(racers);
    expect(granted).toHaveLength(1);
    expect(refused).toEqual(Array(racers - 1).fill('invalid_grant'));
    expect(await introspect(refreshClient, granted[0]!.refresh_token)).toEqual({ active: false });
  });

  it("refuses another client's refresh token without revoking it", async () => {
    const { tokens } = await cibaTokens(refreshClient);
    expect(await errorOf(refresh(otherClient, tokens.refresh_token!))).toBe('invalid_grant');
    expect(await introspect(otherClient, tokens.refresh_token!)).toEqual({ active: false });
    await expect(refresh(refreshClient, tokens.refresh_token!)).resolves.toMatchObject({ token_type: 'Bearer' });
  });

  it('refuses unknown, expired and revoked refresh tokens, a wider scope, and clients without the grant', async () => {
    const { tokens } = await cibaTokens(refreshClient);
    expect(await errorOf(refresh(refreshClient, randomBytes(32).toString('base64url')))).toBe('invalid_grant');
    expect(await errorOf(refresh(refreshClient, tokens.refresh_token!, { scope: 'openid phone' }))).toBe(
      'invalid_scope',
    );
    expect(await errorOf(refresh(noRefreshClient, tokens.refresh_token!))).toBe('unauthorized_client');

    await app.get(DataSource).query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE family_id IN (
                SELECT family_id FROM refresh_token_families WHERE client_id = $1)`,
      [refreshClient.clientId],
    );
    expect(await errorOf(refresh(refreshClient, tokens.refresh_token!))).toBe('invalid_grant');

    const live = await cibaTokens(refreshClient);
    await revoke(otherClient, live.tokens.refresh_token!); // not its token: nothing happens
    expect(await introspect(refreshClient, live.tokens.refresh_token!)).toMatchObject({ active: true });
    await revoke(refreshClient, live.tokens.refresh_token!);
    expect(await errorOf(refresh(refreshClient, live.tokens.refresh_token!))).toBe('invalid_grant');
    expect(await introspect(otherClient, live.tokens.access_token)).toEqual({ active: false });
  });

  it('revokes an access token alone, and introspects it with the claims a resource server needs', async () => {
    const { tokens } = await cibaTokens(noRefreshClient);
    const active = await introspect(otherClient, tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      token_type: 'Bearer',
      client_id: noRefreshClient.clientId,
      sub: TEST_SUBJECT,
      iss: config.issuer,
      scope: 'openid email',
    });
    expect(await introspect(otherClient, `${tokens.access_token}x`)).toEqual({ active: false });
    await revoke(otherClient, tokens.access_token);
    expect(await introspect(otherClient, tokens.access_token)).toMatchObject({ active: true });
    await revoke(noRefreshClient, tokens.access_token);
    expect(await introspect(otherClient, tokens.access_token)).toEqual({ active: false });
  });

  it('binds the refresh token to the certificate of the grant', async () => {
    const [mine, another] = await Promise.all([
      selfSignedClientCertificate({ commonName: 'refresh-bound' }),
      selfSignedClientCertificate({ commonName: 'refresh-other' }),
    ]);
    const certificate = new X509Certificate(mine.cert);
    const { tokens } = await cibaTokens(boundClient, certificate);
    expect(await errorOf(refresh(boundClient, tokens.refresh_token!))).toBe('invalid_grant');
    expect(await errorOf(refresh(boundClient, tokens.refresh_token!, {}, new X509Certificate(another.cert)))).toBe(
      'invalid_grant',
    );
    const refreshed = await refresh(boundClient, tokens.refresh_token!, {}, certificate);
    const introspected = await introspect(otherClient, refreshed.access_token);
    expect(introspected).toMatchObject({ active: true, cnf: { 'x5t#S256': expect.any(String) } });
  });
});
