import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { BackchannelApi } from './support/backchannel-api.js';
import { metricSum } from './support/expectations.js';
import { NotificationEndpoints } from './support/notification-endpoints.js';
import { NotificationFlows, type StartedRequest, pingApproved, pushApproved } from './support/ping-push.scenarios.js';
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

  let pinged: StartedRequest | undefined;

  it.concurrent('ping: one ping with exactly the auth_req_id, then /token gives the tokens', async () => {
    pinged = await pingApproved(flows);
  });

  it.concurrent('push: the tokens are pushed, the ID token is bound to the request, /token refuses', () =>
    pushApproved(flows),
  );

  it('calls no path that was not registered', () => {
    expect(endpoints.strayCalls()).toEqual([]);
  });

  it("gives an operator the ping flow's timeline with ops: the answer, the ping and its outcome, the tokens by id", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.resolve('dist/apps/ops/src/main.js'), 'timeline', pinged!.authReqId, '--json'],
      { env: { ...process.env, DATABASE_URL: stack.databaseUrl } },
    );
    const { found, events } = JSON.parse(stdout) as { found: boolean; events: { type: string; facts: unknown }[] };
    expect(found).toBe(true);
    const types = events.map((event) => event.type);
    expect(types.slice(0, 2)).toEqual(['AuthRequested', 'ConsentGiven']);
    // the ping's outcome is recorded once its call returned: the client may have fetched the tokens by then
    expect(types.slice(2).sort()).toEqual(['ClientNotified', 'TokensIssued']);
    const factsOf = (type: string) => events.find((event) => event.type === type)!.facts;
    expect(factsOf('ClientNotified')).toMatchObject({ kind: 'ping', httpStatus: expect.any(Number), attempts: 1 });
    expect(factsOf('TokensIssued')).toMatchObject({ accessTokenId: expect.any(String), idTokenId: expect.any(String) });
    expect(stdout).not.toContain(pinged!.authReqId);
  });

  it('counts the deliveries in its metrics, by channel and outcome', async () => {
    const metrics = await stack.metrics();
    for (const channel of ['ping', 'push']) {
      const delivered = { queue: 'client-notification', channel, outcome: 'delivered' };
      expect(metricSum(metrics, 'backchannel_delivery_attempts_total', delivered)).toBeGreaterThanOrEqual(1);
    }
  });
});
