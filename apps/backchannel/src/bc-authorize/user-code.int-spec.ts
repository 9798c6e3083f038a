import { randomBytes, randomUUID } from 'node:crypto';
import { type TestingModule } from '@nestjs/testing';
import { ClientRegistry } from '@backchannel/clients';
import { DeviceRegistry, FREE_USER_CODE_ATTEMPTS, UserCodes, UserDirectory } from '@backchannel/directory';
import { featureTestingModule, testConfig } from '@backchannel/testing';
import { DataSource } from 'typeorm';
import { BackchannelModule } from '../backchannel.module.js';
import { BcAuthorizeHandler } from './bc-authorize.handler.js';

const config = testConfig({ AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: '5' });

/** CIBA §7.1.2 user codes at /bc-authorize, on the real PostgreSQL (checklist G). */
describe('user_code at /bc-authorize', () => {
  let app: TestingModule;
  let handler: BcAuthorizeHandler;
  let userCodes: UserCodes;
  const clients = {} as Record<'withCode' | 'without', { clientId: string; secret: string }>;

  beforeAll(async () => {
    app = await featureTestingModule(BackchannelModule, config, 'user-code-int-spec').compile();
    await app.init();
    handler = app.get(BcAuthorizeHandler);
    userCodes = app.get(UserCodes);
    const context = { actor: 'admin', correlationId: 'user-code-int-spec', now: new Date() };
    for (const [name, userCode] of [
      ['withCode', true],
      ['without', false],
    ] as const) {
      const { client, clientSecret } = await app.get(ClientRegistry).register(
        {
          client_name: `Code ${name}`,
          backchannel_token_delivery_mode: 'poll',
          backchannel_user_code_parameter: userCode,
        },
        context,
      );
      clients[name] = { clientId: client.clientId, secret: clientSecret! };
    }
  });

  afterAll(async () => {
    await app?.close();
  });

  async function newUser(code: string | null = '4711') {
    const sub = `code-${randomBytes(6).toString('hex')}`;
    await app.get(UserDirectory).createUser({ sub });
    await app.get(DeviceRegistry).registerDevice(sub, { name: 'Code phone' }, 'device_token');
    if (code !== null) await userCodes.set(sub, code, { actor: 'admin', correlationId: randomUUID(), now: new Date() });
    return sub;
  }

  function bcAuthorize(client: keyof typeof clients, params: Record<string, string>, now = new Date()) {
    const { clientId, secret } = clients[client];
    return handler.handle({
      params: new Map(Object.entries({ scope: 'openid', ...params })),
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      clientCertificate: null,
      correlationId: 'user-code-int-spec',
      now,
    });
  }

  it('accepts the right code, and asks none of a client that did not register the parameter', async () => {
    const sub = await newUser();
    await expect(bcAuthorize('withCode', { login_hint: sub, user_code: '4711' })).resolves.toHaveProperty(
      'auth_req_id',
    );
    await expect(bcAuthorize('without', { login_hint: sub })).resolves.toHaveProperty('auth_req_id');
  });

  it('refuses a missing code (missing_user_code), a wrong one and a user without any (invalid_user_code)', async () => {
    const sub = await newUser();
    await expect(bcAuthorize('withCode', { login_hint: sub })).rejects.toMatchObject({
      error: 'missing_user_code',
      status: 400,
    });
    await expect(bcAuthorize('withCode', { login_hint: sub, user_code: '0000' })).rejects.toMatchObject({
      error: 'invalid_user_code',
      description: 'The user_code is invalid.',
    });
    const withoutCode = await newUser(null);
    await expect(bcAuthorize('withCode', { login_hint: withoutCode, user_code: '4711' })).rejects.toMatchObject({
      error: 'invalid_user_code',
    });
  });

  it('keeps the code only hashed (scrypt, salted)', async () => {
    const sub = await newUser('secret-code');
    const [row] = await app.get(DataSource).query(`SELECT code_hash FROM user_codes WHERE subject = $1`, [sub]);
    expect(row.code_hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(row.code_hash).not.toContain('secret-code');
  });

  it('throttles guessing with growing waits, never a 429, and a right code resets the count', async () => {
    const sub = await newUser();
    const start = new Date();
    for (let attempt = 0; attempt <= FREE_USER_CODE_ATTEMPTS; attempt++) {
      await expect(bcAuthorize('withCode', { login_hint: sub, user_code: 'wrong' }, start)).rejects.toMatchObject({
        description: 'The user_code is invalid.',
      });
    }
    // even the right code waits now
    await expect(bcAuthorize('withCode', { login_hint: sub, user_code: '4711' }, start)).rejects.toMatchObject({
      error: 'invalid_user_code',
      status: 400,
      description: 'Too many wrong user codes for this user: the next one is checked in 30 seconds.',
    });
    const later = new Date(start.getTime() + 31_000);
    await expect(bcAuthorize('withCode', { login_hint: sub, user_code: 'wrong' }, later)).rejects.toMatchObject({
      description: 'The user_code is invalid.',
    });
    const evenLater = new Date(later.getTime() + 31_000);
    await expect(bcAuthorize('withCode', { login_hint: sub, user_code: '4711' }, evenLater)).rejects.toMatchObject({
      description: 'Too many wrong user codes for this user: the next one is checked in 29 seconds.',
    });
    const afterWait = new Date(later.getTime() + 61_000);
    await expect(bcAuthorize('withCode', { login_hint: sub, user_code: '4711' }, afterWait)).resolves.toHaveProperty(
      'auth_req_id',
    );
    await expect(userCodes.verify(sub, 'wrong', afterWait)).resolves.toEqual({ outcome: 'wrong' });
  });

  it('admits no more guesses from a burst of parallel ones than from a sequence', async () => {
    const sub = await newUser();
    const now = new Date();
    const spans: { start: number; end: number }[] = [];
    const verdicts = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const start = performance.now();
        const verdict = await userCodes.verify(sub, 'wrong', now);
        spans.push({ start, end: performance.now() });
        return verdict;
      }),
    );
    // the race happened: every guess was sent before any was answered
    expect(Math.max(...spans.map((span) => span.start))).toBeLessThan(Math.min(...spans.map((span) => span.end)));
    const checked = verdicts.filter((verdict) => verdict.outcome === 'wrong');
    const throttled = verdicts.filter((verdict) => verdict.outcome === 'throttled');
    // and the row lock let only the free ones (and one more) through, as a sequence would
    expect(checked).toHaveLength(FREE_USER_CODE_ATTEMPTS + 1);
    expect(throttled).toHaveLength(12 - FREE_USER_CODE_ATTEMPTS - 1);
  });
});
