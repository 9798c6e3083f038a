import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Agent, fetch as undiciFetch } from 'undici';
import { BackchannelApi, type Fetch, type HttpResult, type TestUser } from './support/backchannel-api.js';
import { expectOAuthError } from './support/expectations.js';
import { type DistributedStack, startDistributedStack } from './support/stacks.js';

const BUDGET = 5;
const WINDOW_SECONDS = 300;

/** A peer of the gateway that is no trusted proxy: another loopback address than the test's own. */
const UNTRUSTED_PEER = '127.0.0.2';

/**
 * Failed authentications counted per real client across the distributed topology: the services
 * see only the gateway, which tells them the client's address in X-Forwarded-For. The test plays
 * two parts: from 127.0.0.1 it is the ingress in front of the gateway (its TRUSTED_PROXIES, as the
 * services' is the gateway on 127.0.0.1) and names clients in X-Forwarded-For; from 127.0.0.2 it is
 * a client that reaches the gateway directly, whose own X-Forwarded-For the gateway overwrites.
 */
describe('failed authentication, limited per client address through the gateway', () => {
  let stack: DistributedStack;
  let api: BackchannelApi;
  let user: TestUser;
  const agents: Agent[] = [];

  beforeAll(async () => {
    stack = await startDistributedStack({
      env: {
        TRUSTED_PROXIES: '127.0.0.1/32',
        FAILED_AUTHENTICATION_BUDGET: String(BUDGET),
        FAILED_AUTHENTICATION_WINDOW_SECONDS: String(WINDOW_SECONDS),
      },
    });
    api = new BackchannelApi(stack);
    // The database is shared with the other files, whose wrong credentials from the test's own
    // addresses were counted under their far larger budget: they must not spend this stack's
    // small one before it starts (the admin calls that set it up come from 127.0.0.1).
    const database = new pg.Client({ connectionString: stack.databaseUrl });
    await database.connect();
    try {
      await database.query(`DELETE FROM authentication_failures WHERE address = ANY($1::text[])`, [
        ['127.0.0.1', UNTRUSTED_PEER],
      ]);
    } finally {
      await database.end();
    }
    user = await api.createUserWithDevice();
  });

  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await stack?.stop();
  });

  /** A client address of its own for each test (the database outlives a run, and is shared). */
  const freshAddress = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

  /** The device API as a client at `forwardedFor` reaches it through the ingress (the test at 127.0.0.1). */
  const viaIngress = (forwardedFor: string, token: string, path = '/device/v1/requests') =>
    api.get(path, { 'x-forwarded-for': forwardedFor, authorization: `Bearer ${token}` });

  function expectRefused(response: HttpResult<unknown>): void {
    expectOAuthError(response, 429, 'too_many_requests');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  }

  it('refuses wrong device tokens from one address with 429 while a device at another keeps working', async () => {
    const attacker = freshAddress();
    const legitimate = freshAddress();
    for (let i = 0; i < BUDGET; i++) {
      expect((await viaIngress(attacker, randomBytes(32).toString('base64url'))).status).toBe(401);
    }
    expectRefused(await viaIngress(attacker, randomBytes(32).toString('base64url')));
    // refused before the token is looked at: the right one is refused too, at every device route
    expectRefused(await viaIngress(attacker, user.deviceToken));
    expectRefused(await viaIngress(attacker, user.deviceToken, '/device/v1/blocks'));
    expectRefused(await viaIngress(attacker, user.deviceToken, '/authenticator/api/requests'));

    const listed = await viaIngress(legitimate, user.deviceToken);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
    expect((await api.deviceRequests(user)).status).toBe(200);
  });

  it('refuses wrong admin tokens from one address at every service that checks them, others unaffected', async () => {
    const attacker = freshAddress();
    const wrongAdmin = {
      'x-forwarded-for': attacker,
      authorization: `Bearer ${randomBytes(32).toString('base64url')}`,
    };
    // the admin API is served by backchannel (clients) and approvals (users): one count for both
    for (let i = 0; i < BUDGET; i++) {
      const path = i % 2 === 0 ? '/admin/v1/clients/unknown-client' : `/admin/v1/users/${user.sub}`;
      expect((await api.get(path, wrongAdmin)).status).toBe(401);
    }
    const rightAdmin = { 'x-forwarded-for': attacker, authorization: `Bearer ${stack.adminToken}` };
    expectRefused(await api.get(`/admin/v1/users/${user.sub}`, rightAdmin));
    expectRefused(await api.postJson('/admin/v1/clients', { client_name: 'Refused' }, rightAdmin));
    // the device surface is counted apart
    expect((await viaIngress(attacker, user.deviceToken)).status).toBe(200);
    expect((await api.registerClient({ client_name: 'Another admin' })).clientId).toBeTruthy();
  });

  it('counts unknown enrolment codes on the device surface: a real code is refused after them, elsewhere it works', async () => {
    const attacker = freshAddress();
    const legitimate = freshAddress();
    const code = await api.createEnrolmentCode(user.sub);
    const enrolmentOptions = (forwardedFor: string, enrolmentCode: string) =>
      api.postJson(
        '/authenticator/api/enrolment/options',
        { code: enrolmentCode },
        { 'x-forwarded-for': forwardedFor },
      );
    for (let i = 0; i < BUDGET; i++) {
      expect((await enrolmentOptions(attacker, randomBytes(32).toString('base64url'))).status).toBe(400);
    }

    expectRefused(await enrolmentOptions(attacker, code));
    // one count with the device tokens
    expectRefused(await viaIngress(attacker, user.deviceToken));
    expect((await enrolmentOptions(legitimate, code)).status).toBe(200);
  });

  describe('a client that sends X-Forwarded-For itself', () => {
    let direct: BackchannelApi;

    beforeAll(() => {
      const agent = new Agent({ localAddress: UNTRUSTED_PEER });
      agents.push(agent);
      const fetchFrom: Fetch = (url, init) =>
        undiciFetch(url, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          dispatcher: agent,
        }) as unknown as Promise<Response>;
      direct = new BackchannelApi({ ...stack, fetch: fetchFrom });
    });

    it("cannot dodge its count, nor spend another address's: the gateway tells the services its real address", async () => {
      const victim = freshAddress();
      // each guess claims another address, the victim's among them
      for (let i = 0; i < BUDGET; i++) {
        const claimed = i === 0 ? victim : freshAddress();
        const guess = await direct.get('/device/v1/requests', {
          'x-forwarded-for': claimed,
          authorization: `Bearer ${randomBytes(32).toString('base64url')}`,
        });
        expect(guess.status).toBe(401);
      }
      // counted as 127.0.0.2 all along: refused whatever it claims
      for (const claimed of [freshAddress(), victim, '127.0.0.1']) {
        expectRefused(
          await direct.get('/device/v1/requests', {
            'x-forwarded-for': claimed,
            authorization: `Bearer ${user.deviceToken}`,
          }),
        );
      }
      expectRefused(await direct.get('/device/v1/requests', { authorization: `Bearer ${user.deviceToken}` }));
      // nothing was counted against the victim, nor against the ingress's own address
      expect((await viaIngress(victim, user.deviceToken)).status).toBe(200);
      expect((await api.deviceRequests(user)).status).toBe(200);
    });
  });
});
