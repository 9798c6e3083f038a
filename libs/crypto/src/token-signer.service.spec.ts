import { createHash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { verifyJwt } from './jwt-verification.js';
import { KeyRing } from './key-ring.js';
import { generateSigningKey, openSigningKey, type StoredSigningKey } from './signing-key.js';
import {
  AUTHENTICATION_CHANNEL_TOKEN_TYPE,
  TokenSigner,
  authenticationChannelAudience,
} from './token-signer.service.js';

describe('TokenSigner', () => {
  const issuer = 'https://as.example.com';
  const issuedAt = new Date('2026-11-21T10:00:00.000Z');
  const issuedAtSeconds = 1795255200;
  let stored: StoredSigningKey;
  let signer: TokenSigner;

  beforeAll(async () => {
    const keyRing = new KeyRing([{ kid: 'k1', key: randomBytes(32) }]);
    stored = await generateSigningKey('ES256', keyRing);
    const key = await openSigningKey(stored, keyRing);
    signer = new TokenSigner({ activeKey: () => Promise.resolve(key) });
  });

  describe('access token', () => {
    const input = {
      issuer,
      audience: 'https://api.example.com',
      subject: 'user-1',
      clientId: 'client-1',
      scope: ['openid', 'accounts'],
      jti: 'at-1',
      issuedAt,
      expiresInSeconds: 300,
    };

    it('is an RFC 9068 JWT: typ at+jwt, kid, ES256', async () => {
      const token = await signer.signAccessToken(input);

      expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: stored.kid, typ: 'at+jwt' });
    });

    it('carries iss, sub, aud, client_id, space-separated scope, iat, exp and jti', async () => {
      const token = await signer.signAccessToken(input);

      const payload = await verifyJwt(
        token,
        { keys: [stored.publicJwk] },
        {
          issuer,
          audience: input.audience,
          typ: 'at+jwt',
          currentDate: issuedAt,
        },
      );
      expect(payload).toEqual({
        iss: issuer,
        sub: 'user-1',
        aud: 'https://api.example.com',
        client_id: 'client-1',
        scope: 'openid accounts',
        iat: issuedAtSeconds,
        exp: issuedAtSeconds + 300,
        jti: 'at-1',
      });
    });
  });

  describe('authentication channel token', () => {
    const channelAudience = authenticationChannelAudience(issuer);

    it("carries Keycloak's claims, is addressed to the issuer's channel and has a typ of its own", async () => {
      const token = await signer.signAuthenticationChannelToken({
        issuer,
        subject: 'user-1',
        clientId: 'client-1',
        jti: 'channel-1',
        issuedAt,
        expiresInSeconds: 120,
      });

      expect(decodeProtectedHeader(token)).toEqual({
        alg: 'ES256',
        kid: stored.kid,
        typ: AUTHENTICATION_CHANNEL_TOKEN_TYPE,
      });
      const payload = await verifyJwt(
        token,
        { keys: [stored.publicJwk] },
        { issuer, audience: channelAudience, typ: AUTHENTICATION_CHANNEL_TOKEN_TYPE, currentDate: issuedAt },
      );
      expect(payload).toEqual({
        iss: issuer,
        sub: 'user-1',
        aud: 'https://as.example.com#authentication-channel',
        typ: 'Bearer',
        azp: 'client-1',
        iat: issuedAtSeconds,
        exp: issuedAtSeconds + 120,
        jti: 'channel-1',
      });
    });

    it('never passes for an access token where only the audience is checked, nor an access token for it', async () => {
      const registered = {
        issuer,
        subject: 'user-1',
        clientId: 'client-1',
        jti: 'x-1',
        issuedAt,
        expiresInSeconds: 120,
      };
      const channelToken = await signer.signAuthenticationChannelToken(registered);
      const accessToken = await signer.signAccessToken({ ...registered, audience: issuer, scope: ['openid'] });
      const verify = (token: string, audience: string) =>
        verifyJwt(token, { keys: [stored.publicJwk] }, { issuer, audience, currentDate: issuedAt });

      await expect(verify(accessToken, issuer)).resolves.toMatchObject({ aud: issuer });
      await expect(verify(channelToken, issuer)).rejects.toMatchObject({ claim: 'aud' });
      await expect(verify(accessToken, channelAudience)).rejects.toMatchObject({ claim: 'aud' });
    });
  });

  describe('ID token', () => {
    const input = {
      issuer,
      subject: 'user-1',
      clientId: 'client-1',
      authTime: new Date('2026-11-21T09:59:30.900Z'),
      issuedAt,
      expiresInSeconds: 600,
      jti: 'id-1',
    };

    it('has a kid and typ JWT in its header', async () => {
      const token = await signer.signIdToken(input);

      expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: stored.kid, typ: 'JWT' });
    });

    it('has a single-string aud (the client), auth_time and no nonce', async () => {
      const token = await signer.signIdToken(input);

      const payload = await verifyJwt(
        token,
        { keys: [stored.publicJwk] },
        {
          issuer,
          audience: 'client-1',
          typ: 'JWT',
          currentDate: issuedAt,
        },
      );
      expect(payload).toEqual({
        iss: issuer,
        sub: 'user-1',
        aud: 'client-1',
        iat: issuedAtSeconds,
        exp: issuedAtSeconds + 600,
        auth_time: issuedAtSeconds - 30,
        jti: 'id-1',
      });
    });

    it('carries the at_hash of the access token given: left half of its SHA-256 for ES256', async () => {
      const accessToken = await signer.signAccessToken({ ...input, audience: issuer, scope: ['openid'] });

      const token = await signer.signIdToken({ ...input, accessToken });

      const payload = await verifyJwt(
        token,
        { keys: [stored.publicJwk] },
        { issuer, audience: 'client-1', currentDate: issuedAt },
      );
      const digest = createHash('sha256').update(Buffer.from(accessToken, 'ascii')).digest();
      expect(payload.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));
    });

    it('has no at_hash without an access token', async () => {
      const payload = await verifyJwt(
        await signer.signIdToken(input),
        { keys: [stored.publicJwk] },
        { issuer, audience: 'client-1', currentDate: issuedAt },
      );

      expect(payload).not.toHaveProperty('at_hash');
    });

    it('adds acr, amr and extra claims when given, never letting extra claims replace its own', async () => {
      const token = await signer.signIdToken({
        ...input,
        acr: 'urn:example:loa:2',
        amr: ['hwk', 'user'],
        extraClaims: { 'urn:openid:params:jwt:claim:auth_req_id': 'req-1', iss: 'https://evil.example', auth_time: 0 },
      });

      const payload = await verifyJwt(
        token,
        { keys: [stored.publicJwk] },
        {
          issuer,
          audience: 'client-1',
          currentDate: issuedAt,
        },
      );
      expect(payload).toMatchObject({
        iss: issuer,
        auth_time: issuedAtSeconds - 30,
        acr: 'urn:example:loa:2',
        amr: ['hwk', 'user'],
        'urn:openid:params:jwt:claim:auth_req_id': 'req-1',
      });
    });
  });
});
