import { randomBytes, randomUUID } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { ClientRegistry } from '@backchannel/clients';
import { TokenSigner } from '@backchannel/crypto';
import { DeviceRegistry, UserDirectory } from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import { authRequestStreamId } from '@backchannel/events';
import { type ClientKey, featureTestingModule, newClientKey, testConfig } from '@backchannel/testing';
import { SignJWT } from 'jose';
import { BackchannelModule } from '../backchannel.module.js';
import { BcAuthorizeHandler } from './bc-authorize.handler.js';

const config = testConfig({ AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: '5' });

/**
 * The three hints of CIBA §7.1 at /bc-authorize, as the backchannel app wires them, on the real
 * PostgreSQL and with the server's own signing keys (checklist F).
 */
describe('hints at /bc-authorize', () => {
  let app: TestingModule;
  let handler: BcAuthorizeHandler;
  const key = newClientKey('ES256');
  const clients = {} as Record<'keyed' | 'other' | 'tokensOnly', { clientId: string; secret: string }>;

  beforeAll(async () => {
    app = await featureTestingModule(BackchannelModule, config, 'hints-int-spec').compile();
    await app.init();
    handler = app.get(BcAuthorizeHandler);
    const registry = app.get(ClientRegistry);
    const context = { actor: 'admin', correlationId: 'hints-int-spec', now: new Date() };
    for (const [name, metadata] of [
      ['keyed', { jwks: { keys: [key.publicJwk] } }],
      ['other', {}],
      ['tokensOnly', { backchannel_allowed_hints: ['id_token_hint'] }],
    ] as const) {
      const { client, clientSecret } = await registry.register(
        { client_name: `Hint client ${name}`, backchannel_token_delivery_mode: 'poll', ...metadata },
        context,
      );
      clients[name] = { clientId: client.clientId, secret: clientSecret! };
    }
  });

  afterAll(async () => {
    await app?.close();
  });

  async function newUser() {
    const sub = `hint-${randomBytes(6).toString('hex')}`;
    const user = { sub, email: `${sub}@Example.test`, phone_number: `+4930${Date.now() % 1e8}` };
    await app.get(UserDirectory).createUser(user);
    await app.get(DeviceRegistry).registerDevice(sub, { name: 'Hint phone' }, 'device_token');
    return user;
  }

  function bcAuthorize(client: keyof typeof clients, hint: Record<string, string>) {
    const { clientId, secret } = clients[client];
    return handler.handle({
      params: new Map(Object.entries({ scope: 'openid', ...hint })),
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      clientCertificate: null,
      correlationId: 'hints-int-spec',
      now: new Date(),
    });
  }

  async function requestedSubject(authReqId: string): Promise<string> {
    const { events } = await app.get(PostgresEventStore).readStream(authRequestStreamId(authReqId));
    return (events[0]!.data as { subject: string }).subject;
  }

  function idToken(subject: string, clientId: string, issuedAt = new Date()) {
    return app.get(TokenSigner).signIdToken({
      issuer: config.issuer,
      subject,
      clientId,
      authTime: issuedAt,
      issuedAt,
      expiresInSeconds: 600,
      jti: randomUUID(),
    });
  }

  function loginHintToken(
    signer: ClientKey,
    claims: Record<string, unknown>,
    exp = Math.floor(Date.now() / 1000) + 60,
  ) {
    return new SignJWT({ exp, ...claims })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid })
      .sign(signer.privateKey);
  }

  describe('id_token_hint', () => {
    it('names the user of an ID token this server issued to the client, expired or not', async () => {
      const user = await newUser();
      for (const issuedAt of [new Date(), new Date(Date.now() - 24 * 3600_000)]) {
        const ack = await bcAuthorize('other', {
          id_token_hint: await idToken(user.sub, clients.other.clientId, issuedAt),
        });
        expect(await requestedSubject(ack.auth_req_id)).toBe(user.sub);
      }
    });

    it("refuses another client's ID token, an access token, another issuer's token, and an unknown sub", async () => {
      const user = await newUser();
      const refused = {
        error: 'invalid_request',
        description: 'The id_token_hint is not an ID token this server issued to this client.',
      };
      await expect(
        bcAuthorize('other', { id_token_hint: await idToken(user.sub, clients.keyed.clientId) }),
      ).rejects.toMatchObject(refused);
      const accessToken = await app.get(TokenSigner).signAccessToken({
        issuer: config.issuer,
        subject: user.sub,
        audience: clients.other.clientId,
        clientId: clients.other.clientId,
        scope: ['openid'],
        issuedAt: new Date(),
        expiresInSeconds: 600,
        jti: randomUUID(),
      });
      await expect(bcAuthorize('other', { id_token_hint: accessToken })).rejects.toMatchObject(refused);
      const foreign = await loginHintToken(key, { iss: config.issuer, aud: clients.other.clientId, sub: user.sub });
      await expect(bcAuthorize('other', { id_token_hint: foreign })).rejects.toMatchObject(refused);
      await expect(
        bcAuthorize('other', { id_token_hint: await idToken('nobody-at-all', clients.other.clientId) }),
      ).rejects.toMatchObject({ error: 'unknown_user_id' });
    });
  });

  describe('login_hint_token', () => {
    it('names the user by sub, else email (any letter case), else phone_number, signed with the client key', async () => {
      const user = await newUser();
      for (const claims of [
        { sub: user.sub },
        { email: user.email.toUpperCase() },
        { phone_number: user.phone_number },
      ]) {
        const ack = await bcAuthorize('keyed', { login_hint_token: await loginHintToken(key, claims) });
        expect(await requestedSubject(ack.auth_req_id)).toBe(user.sub);
      }
    });

    it('answers expired_login_hint_token, and refuses other keys, clients without keys and tokens naming nobody', async () => {
      const user = await newUser();
      const expired = await loginHintToken(key, { sub: user.sub }, Math.floor(Date.now() / 1000) - 60);
      await expect(bcAuthorize('keyed', { login_hint_token: expired })).rejects.toMatchObject({
        error: 'expired_login_hint_token',
        status: 400,
      });
      const stranger = await loginHintToken(newClientKey('ES256', key.kid), { sub: user.sub });
      await expect(bcAuthorize('keyed', { login_hint_token: stranger })).rejects.toMatchObject({
        error: 'invalid_request',
        description: "The login_hint_token does not verify with the client's registered keys.",
      });
      await expect(
        bcAuthorize('other', { login_hint_token: await loginHintToken(key, { sub: user.sub }) }),
      ).rejects.toMatchObject({ error: 'invalid_request' });
      await expect(
        bcAuthorize('keyed', { login_hint_token: await loginHintToken(key, { name: 'Alice' }) }),
      ).rejects.toMatchObject({
        error: 'invalid_request',
        description: 'The login_hint_token must name its user by sub, email or phone_number (a string).',
      });
      await expect(
        bcAuthorize('keyed', { login_hint_token: await loginHintToken(key, { email: 'nobody@example.test' }) }),
      ).rejects.toMatchObject({ error: 'unknown_user_id' });
    });
  });

  it('keeps a client to the hints it registered (backchannel_allowed_hints)', async () => {
    const user = await newUser();
    await expect(bcAuthorize('tokensOnly', { login_hint: user.email })).rejects.toMatchObject({
      error: 'invalid_request',
      description: 'This client may not send login_hint; it may send id_token_hint.',
    });
    const ack = await bcAuthorize('tokensOnly', {
      id_token_hint: await idToken(user.sub, clients.tokensOnly.clientId),
    });
    expect(await requestedSubject(ack.auth_req_id)).toBe(user.sub);
  });
});
