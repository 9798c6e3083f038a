import { setTimeout as sleep } from 'node:timers/promises';
import { BackchannelApi } from './support/backchannel-api.js';
import { expectOAuthError } from './support/expectations.js';
import { NotificationEndpoints } from './support/notification-endpoints.js';
import {
  NotificationFlows,
  QUIET_PERIOD_MS,
  expectPing,
  expectPushError,
  pingApproved,
  pushApproved,
} from './support/ping-push.scenarios.js';
import { type DistributedStack, startDistributedStack } from './support/stacks.js';

/** After a restart, ping-delivery rejoins its Kafka group and takes over expired leases: give it time. */
const RECOVERY_TIMEOUT_MS = 60_000;

describe('ping and push delivery, each service in its own process over Kafka', () => {
  let endpoints: NotificationEndpoints;
  let stack: DistributedStack;
  let api: BackchannelApi;
  let flows: NotificationFlows;

  beforeAll(async () => {
    endpoints = await NotificationEndpoints.start();
    stack = await startDistributedStack({ env: endpoints.stackEnv() });
    api = new BackchannelApi(stack);
    flows = new NotificationFlows(api, endpoints);
  });

  afterAll(async () => {
    await stack?.stop();
    await endpoints?.close();
  });

  describe('independent scenarios, side by side', () => {
    it.concurrent('ping: one ping with exactly the auth_req_id, then /token gives the tokens', () =>
      pingApproved(flows),
    );

    it.concurrent('ping: a denial is pinged too, then /token says access_denied', async () => {
      const { client, request, calls } = await flows.decidedAndCalled('ping', 'deny');
      expectPing(calls[0], request);
      expectOAuthError(await api.token(client, request.authReqId), 400, 'access_denied');
      await flows.expectCallsAfterQuietPeriod(client, 1);
    });

    it.concurrent('push: the tokens are pushed, the ID token is bound to the request, /token refuses', () =>
      pushApproved(flows),
    );

    it.concurrent('push: a denial pushes access_denied', async () => {
      const { client, request, calls } = await flows.decidedAndCalled('push', 'deny');
      expectPushError(calls[0], request, 'access_denied');
      await flows.expectCallsAfterQuietPeriod(client, 1);
    });

    it.concurrent('push: an expired request pushes expired_token', async () => {
      const client = await flows.registerClient('push');
      const requestedAt = Date.now();
      const request = await flows.startRequest(client, { requested_expiry: '2' });
      expect(request.expiresIn).toBe(2);
      const [push] = await client.endpoint.waitForCalls(1);
      expect(push.receivedAt - requestedAt).toBeGreaterThanOrEqual(1_900); // not before the expiry
      expectPushError(push, request, 'expired_token');
      await flows.expectCallsAfterQuietPeriod(client, 1);
    });

    it.concurrent('an endpoint answering 401 is called once and never again; /token still works', async () => {
      const { client, request, calls } = await flows.decidedAndCalled('ping', 'approve', {
        replies: [{ status: 401 }],
      });
      expectPing(calls[0], request);
      await flows.expectCallsAfterQuietPeriod(client, 1);
      await flows.expectTokens(request);
    });

    it.concurrent('an endpoint answering 500 is called again, and the 204 that follows ends delivery', async () => {
      const { client, request, calls } = await flows.decidedAndCalled('ping', 'approve', {
        replies: [{ status: 500 }],
        calls: 2,
      });
      for (const call of calls) expectPing(call, request);
      await flows.expectCallsAfterQuietPeriod(client, 2);
      await flows.expectTokens(request);
    });

    it.concurrent('a redirect is never followed nor retried', async () => {
      const target = endpoints.endpoint();
      const { client, request, calls } = await flows.decidedAndCalled('ping', 'approve', {
        replies: [{ status: 302, headers: { location: target.url } }],
      });
      expectPing(calls[0], request);
      await flows.expectCallsAfterQuietPeriod(client, 1);
      expect(target.received()).toEqual([]);
      await flows.expectTokens(request);
    });

    it.concurrent('an endpoint slower than the timeout is called again', async () => {
      // CLIENT_NOTIFICATION_TIMEOUT_MS is 1000: the first answer comes far too late
      const { client, request, calls } = await flows.decidedAndCalled('ping', 'approve', {
        replies: [{ status: 204, delayMs: 3_000 }],
        calls: 2,
      });
      for (const call of calls) expectPing(call, request);
      expect(calls[1].receivedAt - calls[0].receivedAt).toBeGreaterThanOrEqual(1_000);
      await flows.expectCallsAfterQuietPeriod(client, 2);
      await flows.expectTokens(request);
    });

    it.concurrent('refuses private, link-local and metadata endpoints at registration', async () => {
      for (const endpoint of ['https://10.0.0.1/cb', 'https://169.254.169.254/cb', 'https://[fe80::1]/cb']) {
        const refused = await api.postJson(
          '/admin/v1/clients',
          {
            client_name: 'SSRF client',
            backchannel_token_delivery_mode: 'ping',
            backchannel_client_notification_endpoint: endpoint,
          },
          { authorization: `Bearer ${stack.adminToken}` },
        );
        expect({ endpoint, status: refused.status, error: refused.body.error }).toEqual({
          endpoint,
          status: 400,
          error: 'invalid_client_metadata',
        });
      }
    });
  });

  describe('ping-delivery outages (one at a time)', () => {
    it('repeats a ping sent just before a crash, after restart (at-least-once), and the flow completes', async () => {
      const { client, request, calls: sent } = await flows.decidedAndCalled('ping', 'approve', { replies: ['hang'] });
      expectPing(sent[0], request);

      // the endpoint has the ping, ping-delivery never learns the answer: it dies first
      await stack.killService('ping-delivery');
      // one call so far: the repeat below comes from the restarted service, not from a timeout retry
      expect(client.endpoint.received()).toHaveLength(1);
      await stack.startService('ping-delivery');
      const calls = await client.endpoint.waitForCalls(2, RECOVERY_TIMEOUT_MS);
      expectPing(calls[1], request);
      await flows.expectTokens(request);
      await flows.expectCallsAfterQuietPeriod(client, 2);
    });

    it('never loses a ping when ping-delivery is down while the user approves', async () => {
      const client = await flows.registerClient('ping');
      const request = await flows.startRequest(client);
      await flows.api.pendingOnDevice(request.user, client.name);

      await stack.stopService('ping-delivery');
      await flows.decide(request, 'approve');
      await sleep(1_000); // the approval reaches Kafka while nobody delivers
      expect(client.endpoint.received()).toEqual([]);
      await stack.startService('ping-delivery');

      const [ping] = await client.endpoint.waitForCalls(1, RECOVERY_TIMEOUT_MS);
      expectPing(ping, request);
      await flows.expectTokens(request);
      await flows.expectCallsAfterQuietPeriod(client, 1);
    });
  });

  describe('a consumer service that crashes', () => {
    /**
     * How soon a restarted token service answers /token again (measured: under 2 s). Its consumer
     * used to join its group before it served HTTP, waiting out its dead predecessor's session in
     * the group (30 s; 10 s with KAFKA_SESSION_TIMEOUT_MS's default); it now serves first.
     */
    const HTTP_RECOVERY_BOUND_MS = 6_000;

    it('serves HTTP again within seconds of a restart after kill -9, and its consumer still gets events', async () => {
      await stack.killService('token');
      const restartedAt = Date.now();
      const restarted = stack.startService('token');
      for (;;) {
        const answer = await api.postForm('/token', { grant_type: 'x' });
        if (answer.status !== 503) {
          expectOAuthError(answer, 401, 'invalid_client');
          break;
        }
        expect(Date.now() - restartedAt).toBeLessThan(HTTP_RECOVERY_BOUND_MS);
        await sleep(100);
      }
      expect(Date.now() - restartedAt).toBeLessThan(HTTP_RECOVERY_BOUND_MS);
      await restarted;

      // push mode: the restarted token service's consumer mints on the approval
      await pushApproved(flows);
    });
  });

  it('never calls an endpoint for a poll client, nor any path it was not registered with', async () => {
    const callsBefore = endpoints.allCalls().length;
    const client = await api.registerClient({ client_name: 'E2E poll client among ping and push' });
    const user = await api.createUserWithDevice();
    const ack = await api.bcAuthorize(client, { scope: 'openid', login_hint: user.email });
    expect(ack.status).toBe(200);
    const onDevice = await api.pendingOnDevice(user, 'E2E poll client among ping and push');
    expect((await api.decide(user, onDevice.request_id, { decision: 'approve' })).status).toBe(204);
    await sleep(QUIET_PERIOD_MS);
    expect((await api.token(client, String(ack.body.auth_req_id))).status).toBe(200);
    expect(endpoints.allCalls()).toHaveLength(callsBefore);
    expect(endpoints.strayCalls()).toEqual([]);
  });
});
