import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackchannelApi, CIBA_GRANT, basicAuth } from './support/backchannel-api.js';
import { waitFor } from './support/service-process.js';
import { type DistributedStack, startDistributedStack } from './support/stacks.js';

/** A span as the services exported it over OTLP/HTTP (JSON), with the service that made it. */
interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  links: string[];
}

/** An OTLP/HTTP trace receiver: what the services' real OTLP exporters send, kept in memory. */
async function startTraceReceiver(): Promise<{ url: string; spans: ExportedSpan[]; close: () => Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { name: string; traceId: string; links?: { traceId: string }[] }[] }[];
        }[];
      };
      for (const resourceSpans of body.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const { spans: scoped } of resourceSpans.scopeSpans) {
          for (const span of scoped) {
            spans.push({
              service: service ?? 'unknown',
              name: span.name,
              traceId: span.traceId,
              links: (span.links ?? []).map((link) => link.traceId),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, close: () => new Promise((c) => server.close(() => c())) };
}

/**
 * One CIBA request is one trace across the services: the client sends its trace context
 * (`traceparent`) with /bc-authorize and with /token, the device sends none, and every service's
 * spans (over the real OTLP exporter, Kafka between them) land in that one trace.
 */
describe('traces across the distributed services (OpenTelemetry)', () => {
  let receiver: Awaited<ReturnType<typeof startTraceReceiver>>;
  let stack: DistributedStack;
  let api: BackchannelApi;

  beforeAll(async () => {
    receiver = await startTraceReceiver();
    stack = await startDistributedStack({
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    api = new BackchannelApi(stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('follows a request from /bc-authorize through every service to the token response, in one trace', async () => {
    const client = await api.registerClient();
    const user = await api.createUserWithDevice();
    const traceId = randomBytes(16).toString('hex');
    const traceparent = () => `00-${traceId}-${randomBytes(8).toString('hex')}-01`;

    const requested = await api.postForm(
      '/bc-authorize',
      { scope: 'openid', login_hint: user.email },
      { authorization: basicAuth(client), traceparent: traceparent() },
    );
    expect(requested.status).toBe(200);
    const authReqId = String(requested.body.auth_req_id);
    const onDevice = await api.pendingOnDevice(user, 'E2E client');
    // the device knows nothing of the client's trace
    expect((await api.decide(user, onDevice.request_id, { decision: 'approve', scope: 'openid' })).status).toBe(204);
    await sleep(1100); // the poll interval
    const tokens = await api.postForm(
      '/token',
      { grant_type: CIBA_GRANT, auth_req_id: authReqId },
      { authorization: basicAuth(client), traceparent: traceparent() },
    );
    expect(tokens.status).toBe(200);

    const expected = [
      ['backchannel-gateway', 'POST /bc-authorize'],
      ['backchannel-backchannel', 'POST /bc-authorize'],
      ['backchannel-backchannel', 'event-store append'],
      ['backchannel-notifier', 'consume AuthRequested'],
      ['backchannel-ping-delivery', 'consume AuthRequested'],
      ['backchannel-token', 'consume AuthRequested'],
      ['backchannel-approvals', 'command GiveConsent'],
      ['backchannel-token', 'consume ConsentGiven'],
      ['backchannel-gateway', 'POST /token'],
      ['backchannel-token', 'POST /token'],
    ];
    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    await waitFor(
      'every service exported its spans of the request',
      async () => {
        const seen = new Set(inTrace().map((span) => `${span.service} ${span.name}`));
        const missing = expected.filter(([service, name]) => !seen.has(`${service} ${name}`));
        // thrown, not returned: a timeout then says which spans never came, and which did
        if (missing.length > 0)
          throw new Error(`missing ${JSON.stringify(missing)}; seen ${JSON.stringify([...seen])}`);
        return true;
      },
      30_000,
    );
    // the device's own request is a trace of its own, which the recording of its answer links to
    const answer = inTrace().find((span) => span.name === 'command GiveConsent')!;
    expect(answer.links.length).toBe(1);
    expect(answer.links[0]).not.toBe(traceId);
    // every line a service logged about the request is in its trace and has a correlation id: the
    // HTTP request that caused it (the client's, the device's), whose id the caller was answered with
    const lines = stack
      .logs()
      .split('\n')
      .filter((line) => line.includes(`"traceId":"${traceId}"`))
      .map((line) => JSON.parse(line) as { message: string; correlationId?: string });
    for (const fact of ['AuthRequested recorded', 'ConsentGiven recorded', 'TokensIssued recorded']) {
      expect(lines.some((line) => line.message.startsWith(fact))).toBe(true);
    }
    expect(lines.every((line) => typeof line.correlationId === 'string')).toBe(true);
    const authRequestedLine = lines.find((line) => line.message.startsWith('AuthRequested recorded'))!;
    expect(authRequestedLine.correlationId).toBe(requested.headers.get('x-request-id'));
    const issued = lines.find((line) => line.message.startsWith('TokensIssued recorded'))!;
    expect(issued.correlationId).toBe(tokens.headers.get('x-request-id'));
  });
});
