import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigModule } from '@backchannel/config';
import { type HttpsReceiver, startHttpsReceiver, staticResolver, testConfig } from '@backchannel/testing';
import { Test } from '@nestjs/testing';
import { EgressHttpClient, type EgressHttpClientOptions } from './egress-http-client.js';
import { EgressModule, egressHttpClientFromConfig } from './egress.module.js';
import type { HttpPostOutcome } from './egress.types.js';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Test names, resolved without DNS. */
const testResolver = staticResolver({
  localhost: ['127.0.0.1'],
  'receiver.test': ['127.0.0.1'],
  'not-in-certificate.test': ['127.0.0.1'],
  // Nothing listens on ::1 at the receiver's port: the client must move on to 127.0.0.1.
  'dual-stack.test': ['::1', '127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
});

describe('EgressHttpClient against real HTTPS endpoints', () => {
  let receiver: HttpsReceiver;
  let otherReceiver: HttpsReceiver;
  const clients: EgressHttpClient[] = [];

  function client(options: Partial<EgressHttpClientOptions> = {}): EgressHttpClient {
    const created = new EgressHttpClient({
      policy: { allowHttp: false, allowedNetworks: LOOPBACK },
      timeoutMs: 3_000,
      extraCaPem: receiver.caPem,
      resolve: testResolver,
      ...options,
    });
    clients.push(created);
    return created;
  }

  function post(sender: EgressHttpClient, url: string): Promise<HttpPostOutcome> {
    return sender.postJson({ url, bearerToken: 'notification-token-1', body: { auth_req_id: 'req-1' } });
  }

  beforeAll(async () => {
    receiver = await startHttpsReceiver({
      extraDnsNames: ['receiver.test', 'dual-stack.test', 'metadata.test'],
    });
    otherReceiver = await startHttpsReceiver();
  });

  beforeEach(() => {
    receiver.requests.length = 0;
    otherReceiver.requests.length = 0;
    receiver.setResponder(() => ({ status: 204 }));
  });

  afterAll(async () => {
    await Promise.all(clients.map((created) => created.close()));
    await Promise.all([receiver.close(), otherReceiver.close()]);
  });

  it('sends a POST with exactly the JSON body, the bearer token and the content type, and reports the 204 with exactly the JSON body, the bearer token and the content type', async () => {
    await expect(post(client(), receiver.url('/cb?tenant=7'))).resolves.toEqual({
      kind: 'answered',
      status: 204,
      retryAfter: null,
    });

    expect(receiver.requests).toHaveLength(1);
    const [received] = receiver.requests;
    expect(received).toMatchObject({ method: 'POST', path: '/cb?tenant=7', body: '{"auth_req_id":"req-1"}' });
    expect(received!.headers).toMatchObject({
      authorization: 'Bearer notification-token-1',
      'content-type': 'application/json',
    });
  });

  it('posts any body with exactly the headers given', async () => {
    const body = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    const outcome = await client().post({
      url: receiver.url('/push'),
      headers: { 'content-type': 'application/octet-stream', 'content-encoding': 'aes128gcm', ttl: '60' },
      body,
    });

    expect(outcome).toEqual({ kind: 'answered', status: 204, retryAfter: null });
    const [received] = receiver.requests;
    expect(received!.rawBody).toEqual(body);
    expect(received!.headers).toMatchObject({ 'content-encoding': 'aes128gcm', ttl: '60' });
    expect(received!.headers['authorization']).toBeUndefined();
  });

  it('reports a 200 and ignores its body', async () => {
    receiver.setResponder(() => ({
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(100_000),
    }));
    await expect(post(client(), receiver.url('/cb'))).resolves.toEqual({
      kind: 'answered',
      status: 200,
      retryAfter: null,
    });
  });

  it.each([401, 404, 500])('reports a %i as it was answered', async (status) => {
    receiver.setResponder(() => ({ status }));
    await expect(post(client(), receiver.url('/cb'))).resolves.toEqual({ kind: 'answered', status, retryAfter: null });
  });

  it.each([
    [429, '120'],
    [503, 'Fri, 04 Dec 2026 10:00:00 GMT'],
  ])('reports the Retry-After of a %i as sent', async (status, retryAfter) => {
    receiver.setResponder(() => ({ status, headers: { 'retry-after': retryAfter } }));
    await expect(post(client(), receiver.url('/cb'))).resolves.toEqual({ kind: 'answered', status, retryAfter });
  });

  it('GETs a document with the Accept header, and reads no more than maxBytes of it', async () => {
    const sender = client();
    receiver.setResponder(() => ({ status: 200, body: '{"keys":[]}' }));
    const outcome = await sender.get({ url: receiver.url('/jwks.json'), accept: 'application/json', maxBytes: 1024 });
    expect(outcome).toEqual({ kind: 'answered', status: 200, body: Buffer.from('{"keys":[]}') });
    expect(receiver.requests[0]).toMatchObject({ method: 'GET', path: '/jwks.json' });
    expect(receiver.requests[0]!.headers.accept).toBe('application/json');

    receiver.setResponder(() => ({ status: 200, body: 'x'.repeat(5000) }));
    expect(await sender.get({ url: receiver.url('/big'), accept: 'application/json', maxBytes: 1024 })).toEqual({
      kind: 'answered',
      status: 200,
      body: null,
    });
  });

  it('GETs under the same policy: a refused address is never contacted', async () => {
    const strict = client({ policy: { allowHttp: false, allowedNetworks: [] } });
    const outcome = await strict.get({ url: receiver.url('/jwks.json'), accept: 'application/json', maxBytes: 1024 });
    expect(outcome.kind).toBe('refused_address');
    expect(receiver.requests).toHaveLength(0);
  });

  it('never follows a redirect', async () => {
    receiver.setResponder(() => ({ status: 302, headers: { location: otherReceiver.url('/elsewhere') } }));
    await expect(post(client(), receiver.url('/cb'))).resolves.toEqual({
      kind: 'answered',
      status: 302,
      retryAfter: null,
    });
    expect(receiver.requests).toHaveLength(1);
    expect(otherReceiver.requests).toHaveLength(0);
  });

  it('gives up on a slow endpoint after timeoutMs, as unreachable', async () => {
    receiver.setResponder(() => ({ status: 204, delayMs: 2_000 }));
    const startedAt = Date.now();
    const outcome = await post(client({ timeoutMs: 300 }), receiver.url('/cb'));
    expect(outcome).toMatchObject({ kind: 'unreachable', detail: expect.stringMatching(/timeout/i) });
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it('gives up on an endpoint that never answers', async () => {
    receiver.setResponder(() => 'hang');
    await expect(post(client({ timeoutMs: 300 }), receiver.url('/cb'))).resolves.toMatchObject({
      kind: 'unreachable',
    });
  });

  it('refuses loopback when no network is allowed, and sends nothing', async () => {
    const strict = client({ policy: { allowHttp: false, allowedNetworks: [] } });
    await expect(post(strict, receiver.url('/cb'))).resolves.toEqual({
      kind: 'refused_address',
      detail: "the endpoint's host resolves to a loopback address",
    });
    await expect(post(strict, `https://127.0.0.1:${receiver.port}/cb`)).resolves.toMatchObject({
      kind: 'refused_address',
    });
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses plain http unless allowed, before connecting', async () => {
    await expect(post(client(), `http://localhost:${receiver.port}/cb`)).resolves.toEqual({
      kind: 'refused_address',
      detail: 'the endpoint must be an absolute https URL',
    });
  });

  it('connects to the address it checked, with TLS verified against the host name', async () => {
    const outcome = await post(client(), `https://receiver.test:${receiver.port}/cb`);
    expect(outcome).toEqual({ kind: 'answered', status: 204, retryAfter: null });
    expect(receiver.requests[0]!.headers.host).toBe(`receiver.test:${receiver.port}`);

    // Same address, a name the certificate does not cover: verification is by name, not address.
    const mismatch = await post(client(), `https://not-in-certificate.test:${receiver.port}/cb`);
    expect(mismatch).toMatchObject({
      kind: 'unreachable',
      detail: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID'),
    });
    expect(receiver.requests).toHaveLength(1);
  });

  it('moves on to the next checked address when one cannot be reached', async () => {
    await expect(post(client(), `https://dual-stack.test:${receiver.port}/cb`)).resolves.toEqual({
      kind: 'answered',
      status: 204,
      retryAfter: null,
    });
  });

  it('refuses a name resolving to the metadata address even when link-local is allow-listed', async () => {
    const permissive = client({ policy: { allowHttp: false, allowedNetworks: [...LOOPBACK, '169.254.0.0/16'] } });
    await expect(post(permissive, `https://metadata.test:${receiver.port}/cb`)).resolves.toEqual({
      kind: 'refused_address',
      detail: "the endpoint's host resolves to a link-local address, which is never allowed",
    });
    expect(receiver.requests).toHaveLength(0);
  });

  it('does not deliver to a certificate it does not trust', async () => {
    const outcome = await post(client({ extraCaPem: null }), receiver.url('/cb'));
    expect(outcome).toMatchObject({
      kind: 'unreachable',
      detail: expect.stringMatching(/CERT|certificate/),
    });
    expect(receiver.requests).toHaveLength(0);
  });

  it('reports a refused connection and an unknown name as unreachable', async () => {
    const port = await closedPort();
    await expect(post(client(), `https://localhost:${port}/cb`)).resolves.toMatchObject({
      kind: 'unreachable',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    await expect(post(client(), 'https://unknown.test/cb')).resolves.toMatchObject({
      kind: 'unreachable',
      detail: expect.stringContaining('ENOTFOUND'),
    });
  });
});

describe('EgressModule and egressHttpClientFromConfig', () => {
  let receiver: HttpsReceiver;
  let dir: string;

  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    dir = await mkdtemp(join(tmpdir(), 'egress-ca-'));
  });

  afterAll(async () => {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts the CA file, and closes the client when the application shuts down', async () => {
    const config = testConfig({ CLIENT_NOTIFICATION_CA_FILE: await receiver.writeCaFile(dir) });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), EgressModule],
    }).compile();
    const sender = moduleRef.get(EgressHttpClient);
    const request = { url: receiver.url('/cb'), bearerToken: 'token', body: {} };

    await expect(sender.postJson(request)).resolves.toEqual({ kind: 'answered', status: 204, retryAfter: null });
    await moduleRef.close();
    await expect(sender.postJson(request)).resolves.toMatchObject({ kind: 'unreachable' });
  });

  it('stops the start with the variable named when the CA file is missing or not a certificate', async () => {
    const missing = testConfig({ CLIENT_NOTIFICATION_CA_FILE: join(dir, 'missing.pem') });
    await expect(egressHttpClientFromConfig(missing)).rejects.toThrow(
      /CLIENT_NOTIFICATION_CA_FILE: cannot read .*ENOENT/,
    );

    const notPem = join(dir, 'not-a-certificate.pem');
    await writeFile(notPem, 'hello');
    await expect(egressHttpClientFromConfig(testConfig({ CLIENT_NOTIFICATION_CA_FILE: notPem }))).rejects.toThrow(
      /CLIENT_NOTIFICATION_CA_FILE: .* holds no PEM certificate/,
    );
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
