import fc from 'fast-check';
import { parseRawResponses, rawHttpExchange } from '@backchannel/testing';
import { type HostileRequest, hostileRequests, requestBytes, requestPerRoute } from './support/fuzzing.scenarios.js';
import { type RunningStack, startEmbeddedStack } from './support/stacks.js';

/** Requests per run (FUZZ_RUNS), and a seed to replay a failure (FUZZ_SEED; fast-check prints it). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/**
 * Fewest requests a run cut short by the time limit must have sent. The first are one per route
 * (requestPerRoute), so a short run still reaches every route; a slow spell of the shared machine
 * sends 200–250 in the time limit.
 */
const MIN_RUNS = 150;
/** The run stops generating after this long, so the suite stays bounded on a slow machine. */
const TIME_LIMIT_MS = 50_000;
/** How much the process's resident memory may grow over the run: hostile input must not be kept. */
const RSS_GROWTH_BOUND_BYTES = 96 * 1024 * 1024;

/** Regressions the fuzzer found, replayed on every run. */
const FOUND: HostileRequest[] = [
  // a path that does not decode (overlong UTF-8) got Fastify's own 400 body, without no-store
  { method: 'GET', target: '/device/v1/requests/%C0%AF/decision', headers: [], body: Buffer.alloc(0) },
];

async function residentMemory(stack: RunningStack): Promise<number> {
  const match = /^backchannel_process_resident_memory_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(
    await stack.metrics(),
  );
  if (!match) throw new Error('no backchannel_process_resident_memory_bytes in /metrics');
  return Number(match[1]);
}

/** No 5xx, no reset, and any error as `{error, error_description}` that no cache keeps. */
async function expectAnsweredWell(port: number, request: HostileRequest): Promise<void> {
  const exchange = await rawHttpExchange(port, [requestBytes(request)], { deadlineMs: 15_000 });
  const where = `${request.method} ${request.target.slice(0, 200)}`;
  expect({ where, ending: exchange.ending }).toEqual({ where, ending: 'closed' });
  const [response] = parseRawResponses(exchange.received);
  if (!response) throw new Error(`${where}: no HTTP response in ${JSON.stringify(exchange.received.slice(0, 300))}`);
  expect({ where, serverError: response.status >= 500 }).toEqual({ where, serverError: false });
  if (response.status < 400 || request.method === 'HEAD') return;
  expect({ where, status: response.status, cacheControl: response.headers['cache-control'] }).toEqual({
    where,
    status: response.status,
    cacheControl: 'no-store',
  });
  expect({ where, contentType: response.headers['content-type'] }).toEqual({
    where,
    contentType: expect.stringMatching(/^application\/json/),
  });
  const body = JSON.parse(Buffer.from(response.body, 'latin1').toString('utf8')) as Record<string, unknown>;
  expect({ where, status: response.status, keys: Object.keys(body).sort() }).toEqual({
    where,
    status: response.status,
    keys: ['error', 'error_description'],
  });
}

describe('npm start under generated hostile input (fast-check)', () => {
  let stack: RunningStack;
  let port: number;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    port = Number(new URL(stack.baseUrl).port);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it.each(FOUND.map((request) => [`${request.method} ${request.target.slice(0, 80)}`, request]))(
    'answers a case found before: %s',
    async (_name, request) => expectAnsweredWell(port, request),
  );

  it(`answers ${RUNS} hostile requests to every public route well, and stays healthy and flat`, async () => {
    const rssBefore = await residentMemory(stack);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequests(stack.adminToken), (request) => (sent++, expectAnsweredWell(port, request))),
      {
        numRuns: RUNS,
        seed: SEED,
        examples: requestPerRoute(stack.adminToken).map((request) => [request]),
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: false,
      },
    );
    // a run cut short by the time limit still has to have covered the routes
    expect(sent).toBeGreaterThanOrEqual(Math.min(RUNS, MIN_RUNS));
    expect((await fetch(`${stack.baseUrl}/health/ready`)).status).toBe(200);
    const growth = (await residentMemory(stack)) - rssBefore;
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND_BYTES);
  }, 120_000);
});
