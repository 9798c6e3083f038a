import { randomBytes } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { authRequestDecider } from '@backchannel/auth-request';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { type AuthenticationEvidence, authRequestStreamId } from '@backchannel/events';
import { testConfig, featureTestingModule } from '@backchannel/testing';
import { TokenModule } from '../token.module.js';
import { TokenMinter } from './token-minter.js';

const config = testConfig();
const CLIENT_ID = 'client-of-token-minter-int-spec';

/** The ID token's authentication claims, from the evidence ConsentGiven recorded, on the real PostgreSQL. */
describe('token minter: authentication claims', () => {
  let app: TestingModule;
  let minter: TokenMinter;
  let store: PostgresEventStore;

  beforeAll(async () => {
    app = await featureTestingModule(TokenModule, config, 'token-minter-int-spec').compile();
    await app.init();
    minter = app.get(TokenMinter);
    store = app.get(PostgresEventStore);
    // tokens are minted only for a user the directory knows, and enabled
    await app.get(DataSource).query(`INSERT INTO users (subject) VALUES ('token-minter-user') ON CONFLICT DO NOTHING`);
  });

  afterAll(async () => {
    await app?.close();
  });

  /** A request approved at `approvedAt` with `evidence`; the ID token's claims once issued. */
  async function idTokenClaims(
    evidence: AuthenticationEvidence | null,
    approvedAt: Date,
  ): Promise<Record<string, unknown>> {
    const streamId = authRequestStreamId(randomBytes(32).toString('base64url'));
    const metadata = { now: approvedAt.toISOString(), correlationId: 'token-minter-int-spec', actor: 'test' };
    await handleCommand(store, streamId, authRequestDecider, {
      type: 'RequestAuthentication',
      data: {
        requestId: `req_${randomBytes(12).toString('base64url')}`,
        clientId: CLIENT_ID,
        clientName: 'Token minter int-spec client',
        subject: 'token-minter-user',
        hintKind: 'login_hint',
        scope: ['openid'],
        acrValues: [],
        bindingMessage: null,
        deliveryMode: 'poll',
        pollInterval: 5,
        clientNotification: null,
        expiresAt: new Date(approvedAt.getTime() + 60_000).toISOString(),
      },
      metadata,
    });
    const consent = await handleCommand(store, streamId, authRequestDecider, {
      type: 'GiveConsent',
      data: { subject: 'token-minter-user', deviceId: 'dev_minter', evidence },
      metadata,
    });
    expect(consent.outcome).toBe('accepted');
    const result = await minter.issue(streamId, {
      clientId: CLIENT_ID,
      refreshToken: false,
      now: new Date(approvedAt.getTime() + 5_000),
      origin: { correlationId: 'token-minter-int-spec', actor: `client:${CLIENT_ID}` },
    });
    if (result.outcome !== 'issued') throw new Error(`not issued: ${result.rejection.code}`);
    return JSON.parse(Buffer.from(result.tokens.id_token.split('.')[1]!, 'base64url').toString('utf8'));
  }

  const passkey = (userVerified: boolean): AuthenticationEvidence => ({
    method: 'webauthn',
    credentialId: 'credential-of-minter-int-spec',
    userVerified,
    challengeHash: 'challenge-hash',
    signCount: 7,
  });

  it('states a user-verified passkey as amr hwk, user, mfa and acr phr, with auth_time the approval', async () => {
    const approvedAt = new Date('2030-01-01T10:00:00.000Z');
    const claims = await idTokenClaims(passkey(true), approvedAt);
    expect(claims).toMatchObject({ amr: ['hwk', 'user', 'mfa'], acr: 'phr', auth_time: approvedAt.getTime() / 1000 });
  });

  it('states a passkey without user verification as amr hwk, user and the device acr', async () => {
    const claims = await idTokenClaims(passkey(false), new Date());
    expect(claims['amr']).toEqual(['hwk', 'user']);
    expect(claims['acr']).toBe('urn:backchannel:acr:device');
  });

  it('claims the device acr for the device API, nothing for an external channel, and no amr for either', async () => {
    for (const [evidence, acr] of [
      [null, 'urn:backchannel:acr:device'],
      [{ method: 'channel', channel: 'keycloak-http' } as const, undefined],
    ] as const) {
      const approvedAt = new Date();
      const claims = await idTokenClaims(evidence, approvedAt);
      expect(claims).not.toHaveProperty('amr');
      expect(claims['acr']).toBe(acr);
      expect(claims['auth_time']).toBe(Math.floor(approvedAt.getTime() / 1000));
    }
  });
});
