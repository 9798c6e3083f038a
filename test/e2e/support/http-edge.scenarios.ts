import { parseRawResponses, rawHttpExchange } from '@backchannel/testing';
import { BackchannelApi, CIBA_GRANT, type TestClient, basicAuth } from './backchannel-api.js';
import { expectOAuthError } from './expectations.js';
import type { RunningStack, StackOptions } from './stacks.js';

/** Short timeouts, so a stalled request is answered within seconds. */
export const EDGE_TIMEOUTS: StackOptions = {
  env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000' },
};

type RawResponse = ReturnType<typeof parseRawResponses>[number];

function expectErrorShape(response: RawResponse | undefined, status: number, error: string): void {
  expect({ status: response?.status, error: (JSON.parse(response?.body ?? '{}') as { error?: string }).error }).toEqual(
    {
      status,
      error,
    },
  );
  expect(Object.keys(JSON.parse(response!.body) as object).sort()).toEqual(['error', 'error_description']);
  expect(response!.headers['cache-control']).toBe('no-store');
}

/** Error-level lines of the stack's logs: a client must not be able to write any. */
function errorLines(stack: RunningStack): string[] {
  return stack
    .logs()
    .split('\n')
    .filter((line) => line.includes('"level":"error"'));
}

/**
 * The public edge under hostile framing, black-box on raw sockets: every error in the shape of
 * every error, a stalled request answered within its timeout, no reset connection, no error line.
 */
export function describeHttpEdge(
  name: string,
  start: (options: StackOptions) => Promise<RunningStack>,
  more?: (running: () => { stack: RunningStack; api: BackchannelApi }) => void,
): void {
  describe(name, () => {
    let stack: RunningStack;
    let api: BackchannelApi;
    let client: TestClient;
    let port: number;

    beforeAll(async () => {
      stack = await start(EDGE_TIMEOUTS);
      api = new BackchannelApi(stack);
      client = await api.registerClient();
      port = Number(new URL(stack.baseUrl).port);
    });

    afterAll(async () => {
      await stack?.stop();
    });

    function tokenRequest(authReqId: string, contentLength?: number): string {
      const body = new URLSearchParams({ grant_type: CIBA_GRANT, auth_req_id: authReqId }).toString();
      return [
        'POST /token HTTP/1.1',
        'Host: edge',
        `Authorization: ${basicAuth(client)}`,
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${contentLength ?? Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n');
    }

    it('answers a malformed auth_req_id whose body runs past its Content-Length with invalid_grant, then closes without a reset', async () => {
      const user = await api.createUserWithDevice();
      const ack = await api.bcAuthorize(client, { scope: 'openid', login_hint: user.email });
      const authReqId = String(ack.body.auth_req_id);
      const errorsBefore = errorLines(stack).length;
      for (const malformed of [` ${authReqId}`, `${authReqId}x`]) {
        expectOAuthError(await api.token(client, malformed), 400, 'invalid_grant');
        // as a fuzzer that added a character but kept the Content-Length sends it, going on on the
        // same connection: the length as sent decides, the character after it is no request
        const { received, ending } = await rawHttpExchange(
          port,
          [`${tokenRequest(malformed)}z`, tokenRequest(authReqId)],
          {
            pauseMs: 5,
          },
        );
        expect(ending).toBe('closed');
        const responses = parseRawResponses(received);
        expect(responses).toHaveLength(1);
        expectErrorShape(responses[0], 400, 'invalid_grant');
      }
      expect(errorLines(stack).slice(errorsBefore)).toEqual([]);
    });

    it.each([
      [
        'a header section too large',
        `GET /jwks HTTP/1.1\r\nHost: edge\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
        431,
        'request_header_too_large',
      ],
      [
        'a broken chunk',
        'POST /token HTTP/1.1\r\nHost: edge\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nid=1\r\n0\r\n\r\n',
        400,
        'invalid_request',
      ],
      [
        'a body too large',
        `POST /device/v1/requests/x/decision HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: ${70 * 1024}\r\n\r\n${'a'.repeat(70 * 1024)}`,
        413,
        'request_too_large',
      ],
      [
        'a body that stops early',
        'POST /token HTTP/1.1\r\nHost: edge\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
        408,
        'request_timeout',
      ],
    ])('answers %s in the shape of every error, without an error line', async (_case, request, status, error) => {
      const errorsBefore = errorLines(stack).length;
      const exchange = await rawHttpExchange(port, [request]);
      expect(exchange.ending).toBe('closed');
      expect(exchange.elapsedMs).toBeLessThan(2000 + 2000);
      expectErrorShape(parseRawResponses(exchange.received)[0], status, error);
      expect(errorLines(stack).slice(errorsBefore)).toEqual([]);
    });

    more?.(() => ({ stack, api }));
  });
}
