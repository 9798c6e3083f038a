import { writeFile } from 'node:fs/promises';
import pg from 'pg';
import { PrivateKafkaBroker, PrivatePostgres } from '@backchannel/testing';
import { NOTIFIER_CONSUMER } from '../../apps/notifier/src/device-notifications/new-request.consumer.js';
import { PING_DELIVERY_CONSUMER } from '../../apps/ping-delivery/src/client-notifications/client-notification.consumer.js';
import { TOKEN_CONSUMER } from '../../apps/token/src/push-issuance/push-issuance.consumer.js';
import { BackchannelApi } from './support/backchannel-api.js';
import { ChaosLoad } from './support/chaos-load.fixture.js';
import { type DeliveryCatchUp, waitUntilEveryEventConsumed } from './support/event-delivery.js';
import { NotificationEndpoints } from './support/notification-endpoints.js';
import { NotificationFlows } from './support/ping-push.scenarios.js';
import { type DistributedService, type DistributedStack, startDistributedStack } from './support/stacks.js';

/** A restarted service answers its readiness probe within this (it serves before its consumer rejoins). */
const READY_AGAIN_WITHIN_MS = 15_000;
const WORKERS = 4;
/** In the order a request meets them, the edge last (every call goes through it). */
const CRASHED: DistributedService[] = ['ping-delivery', 'notifier', 'approvals', 'token', 'backchannel', 'gateway'];

/** Killed after the services, each a server of this test's own (the shared ones must never stop). */
type CrashedServer = 'kafka' | 'postgres';

/** The consumer groups of the distributed topology: each must get every event of its topic. */
const CONSUMERS = [NOTIFIER_CONSUMER, TOKEN_CONSUMER, PING_DELIVERY_CONSUMER];
/** Once a scenario's flows have ended, every event stored by then reaches every group within this. */
const CONSUMED_WITHIN_MS = 60_000;

/** Events per stream in the log, to show that nothing stored before a crash is lost after it. */
async function eventsPerStream(databaseUrl: string): Promise<Map<string, number>> {
  const database = new pg.Client({ connectionString: databaseUrl });
  await database.connect();
  try {
    const { rows } = await database.query<{ stream_id: string; events: number }>(
      'SELECT stream_id, count(*)::int AS events FROM events GROUP BY stream_id',
    );
    return new Map(rows.map(({ stream_id, events }) => [stream_id, events]));
  } finally {
    await database.end();
  }
}

/**
 * Crashes under load: steady poll and ping flows through the distributed topology while, one at a
 * time, each service, then the Kafka broker, then PostgreSQL (both servers of this test's own), is
 * killed (SIGKILL: no shutdown hook) and started again. Every flow must end with its tokens, no
 * auth_req_id gets tokens twice, every ping request is pinged, no 5xx but the documented 503 reaches
 * a client, no stored event is lost, after each scenario every stored event reaches each consumer
 * group (the relay's checkpoint passes the log's head, each group's committed offsets the end of
 * its topic), and each service is ready again within READY_AGAIN_WITHIN_MS.
 */
describe('chaos: one crash at a time under steady load (distributed topology)', () => {
  let endpoints: NotificationEndpoints;
  let broker: PrivateKafkaBroker;
  let postgres: PrivatePostgres;
  let stack: DistributedStack;
  let load: ChaosLoad;
  const readyAgainMs = new Map<DistributedService, number>();
  const inFlightAtCrash = new Map<DistributedService | CrashedServer, number>();
  const downMs = new Map<CrashedServer, number>();
  const consumed = new Map<DistributedService | CrashedServer, DeliveryCatchUp>();

  beforeAll(async () => {
    [endpoints, broker, postgres] = await Promise.all([
      NotificationEndpoints.start(),
      PrivateKafkaBroker.start(),
      PrivatePostgres.start(),
    ]);
    stack = await startDistributedStack({
      env: {
        ...endpoints.stackEnv(),
        KAFKA_BROKERS: broker.brokers.join(','),
        DATABASE_URL: postgres.url,
        // a request outlives the broker's restart after a crash (its recovery takes up to a minute here)
        AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: '180',
      },
    });
    const api = new BackchannelApi(stack);
    const flows = new NotificationFlows(api, endpoints);
    const pollName = 'Chaos poll client';
    const [poll, ping, ...users] = await Promise.all([
      api.registerClient({ client_name: pollName }),
      flows.registerClient('ping'),
      ...Array.from({ length: WORKERS }, () => api.createUserWithDevice()),
    ]);
    load = new ChaosLoad(api, { poll: { ...poll, name: pollName }, ping });
    load.start(users);
    await load.completed(WORKERS);
  }, 120_000);

  afterAll(async () => {
    // every step runs whatever failed before it: the servers of this test must not outlive it
    await Promise.allSettled([
      process.env.CHAOS_LOGS && writeFile(process.env.CHAOS_LOGS, stack?.logs() ?? ''),
      load?.stop(),
    ]);
    await stack?.stop().catch(() => undefined);
    const ended = await Promise.allSettled([endpoints?.close(), broker?.destroy(), postgres?.destroy()]);
    for (const result of ended) if (result.status === 'rejected') throw result.reason;
  });

  for (const service of CRASHED) {
    it(`keeps every flow whole when ${service} is killed and restarted`, async () => {
      inFlightAtCrash.set(service, load.flowsInFlight);
      await stack.killService(service);
      const restarted = Date.now();
      await stack.startService(service);
      readyAgainMs.set(service, Date.now() - restarted);
      // flows begun before, during and after the outage all end
      await load.completed(2 * WORKERS);
      expect(readyAgainMs.get(service)).toBeLessThan(READY_AGAIN_WITHIN_MS);
      await expectEveryEventConsumed(service);
    }, 180_000);
  }

  /** Once the scenario's flows have ended: every event stored so far reaches Kafka and each consumer group. */
  async function expectEveryEventConsumed(scenario: DistributedService | CrashedServer): Promise<void> {
    consumed.set(
      scenario,
      await waitUntilEveryEventConsumed(stack.databaseUrl, broker.brokers, CONSUMERS, CONSUMED_WITHIN_MS),
    );
  }

  /** Kills the server, restarts it at once (its recovery is the outage) and lets 2×WORKERS more flows end. */
  async function crashAndResume(name: CrashedServer, server: PrivateKafkaBroker | PrivatePostgres): Promise<void> {
    inFlightAtCrash.set(name, load.flowsInFlight);
    await server.crash();
    const crashedAt = Date.now();
    await server.resume();
    downMs.set(name, Date.now() - crashedAt);
    await load.completed(2 * WORKERS);
    await expectEveryEventConsumed(name);
  }

  it('keeps every flow whole when the Kafka broker is killed and restarted', async () => {
    // the log waits in PostgreSQL, pings for the broker
    await crashAndResume('kafka', broker);
  }, 240_000);

  it('keeps every flow whole when PostgreSQL is killed and restarted', async () => {
    const before = await eventsPerStream(stack.databaseUrl);
    // the services reconnect, the load retries their 503s
    await crashAndResume('postgres', postgres);

    // every event stored before the crash is still in the log
    const after = await eventsPerStream(stack.databaseUrl);
    const lost = [...before].filter(([stream, events]) => (after.get(stream) ?? 0) < events);
    expect(lost).toEqual([]);
  }, 180_000);

  it('ended every flow with its tokens, none twice, every ping delivered, no unexpected 5xx', async () => {
    await load.stop();
    const { outcomes } = load;
    const servers: CrashedServer[] = ['kafka', 'postgres'];
    const report = [
      ...CRASHED.map((service) => ({
        service,
        inFlightAtCrash: inFlightAtCrash.get(service),
        readyAgainMs: readyAgainMs.get(service),
        consumed: consumed.get(service),
      })),
      ...servers.map((server) => ({
        service: server,
        inFlightAtCrash: inFlightAtCrash.get(server),
        downMs: downMs.get(server),
        consumed: consumed.get(server),
      })),
    ];
    const retriedFlows = outcomes.filter((outcome) => outcome.retried.length > 0).length;
    process.stdout.write(
      `chaos: ${outcomes.length} flows, ${retriedFlows} of them retried a call during an outage\n` +
        `${JSON.stringify(report)}\n`,
    );
    // the crashes hit flows in progress: the race happened
    expect(report.every(({ inFlightAtCrash }) => (inFlightAtCrash ?? 0) > 0)).toBe(true);
    expect(retriedFlows).toBeGreaterThan(0);

    expect(outcomes.filter((outcome) => outcome.result !== 'tokens')).toEqual([]);
    expect(outcomes.flatMap((outcome) => outcome.unexpected)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.mode === 'ping').length).toBeGreaterThan(0);

    // from the database: no request was issued tokens twice
    const database = new pg.Client({ connectionString: stack.databaseUrl });
    await database.connect();
    try {
      const { rows } = await database.query<{ stream_id: string; issued: number }>(
        `SELECT stream_id, count(*)::int AS issued FROM events WHERE event_type = 'TokensIssued'
          GROUP BY stream_id HAVING count(*) > 1`,
      );
      expect(rows).toEqual([]);
    } finally {
      await database.end();
    }
  }, 120_000);
});
