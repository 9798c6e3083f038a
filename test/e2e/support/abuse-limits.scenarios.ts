import { BackchannelApi, type TestClient, type TestUser } from './backchannel-api.js';
import { expectOAuthError } from './expectations.js';
import { waitFor } from './service-process.js';
import type { RunningStack, StackOptions } from './stacks.js';

const TOO_MANY = 'Too many pending authentication requests for this user.';

/** At most 3 open requests per user, 2 per client and user. */
const LIMITS: StackOptions = {
  env: { AUTH_REQUEST_MAX_PENDING_PER_USER: '3', AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: '2' },
};

/**
 * Push bombing, black-box through the public API: caps on open requests at /bc-authorize, a
 * decision frees a slot, and "this wasn't me" on the device denies the request and blocks the
 * client from prompting that user until the device lifts the block.
 */
export function describeAbuseLimits(name: string, start: (options: StackOptions) => Promise<RunningStack>): void {
  describe(name, () => {
    let stack: RunningStack;
    let api: BackchannelApi;
    let first: TestClient;
    let second: TestClient;

    beforeAll(async () => {
      stack = await start(LIMITS);
      api = new BackchannelApi(stack);
      first = await api.registerClient({ client_name: 'First client' });
      second = await api.registerClient({ client_name: 'Second client' });
    });

    afterAll(async () => {
      await stack?.stop();
    });

    const ask = (client: TestClient, user: TestUser) =>
      api.bcAuthorize(client, { scope: 'openid', login_hint: user.email });

    function expectTooMany(response: Awaited<ReturnType<typeof ask>>): void {
      expectOAuthError(response, 403, 'access_denied');
      expect(response.body.error_description).toBe(TOO_MANY);
    }

    it('answers a request over a cap with access_denied (403), per client and per user alike', async () => {
      const user = await api.createUserWithDevice();
      for (let i = 0; i < 2; i++) expect((await ask(first, user)).status).toBe(200);
      expectTooMany(await ask(first, user));
      expect((await ask(second, user)).status).toBe(200);
      expectTooMany(await ask(second, user));

      const other = await api.createUserWithDevice();
      expect((await ask(first, other)).status).toBe(200);
    });

    it('admits exactly the cap when requests for one user arrive at once', async () => {
      const user = await api.createUserWithDevice();
      const responses = await Promise.all(Array.from({ length: 10 }, () => ask(first, user)));
      expect(responses.filter((response) => response.status === 200)).toHaveLength(2);
      for (const refused of responses.filter((response) => response.status !== 200)) expectTooMany(refused);
      await waitFor('both requests on the device', async () => {
        const listed = (await api.deviceRequests(user)).body;
        return listed.length === 2 ? listed : undefined;
      });
    });

    it('frees a slot when the user denies a request', async () => {
      const user = await api.createUserWithDevice();
      for (let i = 0; i < 2; i++) expect((await ask(first, user)).status).toBe(200);
      expectTooMany(await ask(first, user));

      const onDevice = await api.pendingOnDevice(user, 'First client');
      expect((await api.decide(user, onDevice.request_id, { decision: 'deny' })).status).toBe(204);
      // the slot is freed by the consumer of the decision, a moment after the device's answer
      await waitFor('a free slot', async () => ((await ask(first, user)).status === 200 ? true : undefined));
      expectTooMany(await ask(first, user));
    });

    it('"this wasn\'t me" denies the request: the client gets access_denied', async () => {
      const user = await api.createUserWithDevice();
      const ack = await ask(first, user);
      expect(ack.status).toBe(200);
      const onDevice = await api.pendingOnDevice(user, 'First client');

      expect((await api.decide(user, onDevice.request_id, { decision: 'not_me' })).status).toBe(204);
      expect((await api.deviceRequests(user)).body).toEqual([]);
      expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(409);
      expectOAuthError(await api.token(first, String(ack.body.auth_req_id)), 400, 'access_denied');

      // the client may not prompt that user again (the same answer as the caps); others may
      expectTooMany(await ask(first, user));
      expect((await ask(second, user)).status).toBe(200);
      expect((await api.deviceBlocks(user)).body).toEqual([
        expect.objectContaining({ client_id: first.clientId, client_name: 'First client' }),
      ]);
      expect((await api.liftBlock(user, first.clientId)).status).toBe(204);
      expect((await api.deviceBlocks(user)).body).toEqual([]);
      expect((await ask(first, user)).status).toBe(200);
    });
  });
}
