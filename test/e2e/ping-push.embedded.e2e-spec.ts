import { BackchannelApi } from './support/backchannel-api.js';
import { metricSum } from './support/expectations.js';
import { NotificationEndpoints } from './support/notification-endpoints.js';
import { NotificationFlows, pingApproved, pushApproved } from './support/ping-push.scenarios.js';
import { type RunningStack, startEmbeddedStack } from './support/stacks.js';

describe('ping and push delivery against npm start (embedded, no Kafka)', () => {
  let endpoints: NotificationEndpoints;
  let stack: RunningStack;
  let flows: NotificationFlows;

  beforeAll(async () => {
    endpoints = await NotificationEndpoints.start();
    stack = await startEmbeddedStack({ env: endpoints.stackEnv() });
    flows = new NotificationFlows(new BackchannelApi(stack), endpoints);
  });

  afterAll(async () => {
    await stack?.stop();
    await endpoints?.close();
  });

  it.concurrent('ping: one ping with exactly the auth_req_id, then /token gives the tokens', () => pingApproved(flows));

  it.concurrent('push: the tokens are pushed, the ID token is bound to the request, /token refuses', () =>
    pushApproved(flows),
  );

  it('calls no path that was not registered', () => {
    expect(endpoints.strayCalls()).toEqual([]);
  });

  it('counts the deliveries in its metrics, by channel and outcome', async () => {
    const metrics = await stack.metrics();
    for (const channel of ['ping', 'push']) {
      const delivered = { queue: 'client-notification', channel, outcome: 'delivered' };
      expect(metricSum(metrics, 'backchannel_delivery_attempts_total', delivered)).toBeGreaterThanOrEqual(1);
    }
  });
});
