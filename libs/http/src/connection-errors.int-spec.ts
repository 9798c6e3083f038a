import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { Controller, HttpCode, Logger, Module, Post, Req } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import pg from 'pg';
import { freePort, parseRawResponses, rawHttpExchange, testConfig } from '@backchannel/testing';
import { createHttpApplication } from './http-application.factory.js';

@Controller()
class EchoController {
  constructor(private readonly unreachableDatabase: pg.Pool) {}

  /** Answers with the form parameter it read, after a moment (a request still being answered). */
  @Post('echo')
  @HttpCode(200)
  async echo(@Req() request: FastifyRequest & { rawBody?: Buffer }): Promise<{ id: string | null }> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { id: new URLSearchParams(request.rawBody?.toString('utf8') ?? '').get('id') };
  }

  @Post('query')
  async query(): Promise<unknown> {
    return (await this.unreachableDatabase.query('SELECT 1')).rows;
  }
}

const FORM = 'application/x-www-form-urlencoded';
const TIMEOUTS = { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500' };

function post(path: string, body: string, contentLength = Buffer.byteLength(body)): string {
  return `POST ${path} HTTP/1.1\r\nHost: edge\r\nContent-Type: ${FORM}\r\nContent-Length: ${contentLength}\r\n\r\n${body}`;
}

function expectErrorShape(response: { status: number; headers: Record<string, string>; body: string }, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(Object.keys(JSON.parse(response.body) as object).sort()).toEqual(['error', 'error_description']);
}

/**
 * What a service made by createHttpApplication answers to requests the framework cannot read,
 * over real sockets: in the shape of every error, within the configured timeouts, never with a
 * reset connection, and without an error line a client could write at will.
 */
describe('connection errors of an HTTP service', () => {
  let app: NestFastifyApplication;
  let port: number;
  let loggedErrors: jest.SpiedFunction<Logger['error']>;

  beforeAll(async () => {
    // nothing listens there: every query fails as during a database outage
    const unreachableDatabase = new pg.Pool({
      host: '127.0.0.1',
      port: await freePort(),
      connectionTimeoutMillis: 500,
    });
    @Module({ controllers: [EchoController], providers: [{ provide: pg.Pool, useValue: unreachableDatabase }] })
    class EchoModule {}
    app = await createHttpApplication(EchoModule, testConfig(TIMEOUTS), 'connection-errors-int-spec');
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    loggedErrors = jest.spyOn(Logger.prototype, 'error');
  });
  afterEach(() => {
    expect(loggedErrors).not.toHaveBeenCalled();
    loggedErrors.mockRestore();
  });

  it('answers a complete request followed by bytes that are no request, then closes without a reset', async () => {
    const body = 'id=%20abc';
    // the body runs past its Content-Length, and the client goes on writing on the same connection
    const exchange = await rawHttpExchange(port, [post('/echo', body, body.length - 1) + 'c', post('/echo', 'id=x')], {
      pauseMs: 10,
    });
    expect(exchange.ending).toBe('closed');
    const responses = parseRawResponses(exchange.received);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.status).toBe(200);
    expect(JSON.parse(responses[0]!.body)).toEqual({ id: ' ab' });
  });

  it.each([
    ['a header section too large', `GET /echo HTTP/1.1\r\nHost: edge\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431],
    [
      'a broken chunk',
      `POST /echo HTTP/1.1\r\nHost: edge\r\nContent-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nid=1\r\n0\r\n\r\n`,
      400,
    ],
    ['bytes that are no request', 'HELLO\r\n\r\n', 400],
    ['a body too large', post('/echo', `id=${'x'.repeat(70 * 1024)}`), 413],
  ])('answers %s in the shape of every error', async (_case, request, status) => {
    const exchange = await rawHttpExchange(port, [request]);
    expect(exchange.ending).toBe('closed');
    expectErrorShape(parseRawResponses(exchange.received)[0]!, status);
  });

  it('answers 408 to a request whose body stops early, within a second of the request timeout', async () => {
    const exchange = await rawHttpExchange(port, [post('/echo', 'id=abc', 100)]);
    expect(exchange.ending).toBe('closed');
    expect(exchange.elapsedMs).toBeLessThan(1500 + 1500);
    expectErrorShape(parseRawResponses(exchange.received)[0]!, 408);
  });

  it('answers 408 to headers sent too slowly', async () => {
    const parts = [
      'POST /echo HTTP/1.1\r\n',
      'Host: edge\r\n',
      ...Array.from({ length: 20 }, (_, i) => `X-${i}: a\r\n`),
    ];
    const exchange = await rawHttpExchange(port, parts, { pauseMs: 200 });
    expect(exchange.ending).toBe('closed');
    expect(exchange.elapsedMs).toBeLessThan(1000 + 1500);
    expectErrorShape(parseRawResponses(exchange.received)[0]!, 408);
  });

  it('answers a database outage with 503 temporarily_unavailable and Retry-After, logged as a warning', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const response = await fetch(`http://127.0.0.1:${port}/query`, { method: 'POST' });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable.',
    });
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
    warnings.mockRestore();
  });
});
