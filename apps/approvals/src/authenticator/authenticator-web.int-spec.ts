import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DeviceChannelsRepository } from '@backchannel/device-channels';
import { call, createUser, enrolDevice, startApprovals } from './authenticator.fixture.js';

/** The authenticator's web app files, security headers and Web Push endpoints, over HTTP. */
describe('authenticator web app', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startApprovals();
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('serves the page with a strict content security policy and no inline script', async () => {
    const page = await get('/authenticator/');

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const testId of ['enrol-button', 'request-list', 'approve-button', 'deny-button', 'not-me-button']) {
      expect(page.body).toContain(`data-testid="${testId}"`);
    }
    expect(page.body).toContain('data-testid="binding-message"');
  });

  it.each([
    ['/authenticator/app.js', 'text/javascript; charset=utf-8', 'textContent'],
    ['/authenticator/sw.js', 'text/javascript; charset=utf-8', 'showNotification'],
    ['/authenticator/app.css', 'text/css; charset=utf-8', 'overflow-wrap: anywhere'],
    ['/authenticator/icon.svg', 'image/svg+xml', '<svg'],
    ['/authenticator/vendor/simplewebauthn-browser.js', 'text/javascript; charset=utf-8', 'SimpleWebAuthnBrowser'],
  ])('serves %s as %s', async (url, type, content) => {
    const file = await get(url);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe(type);
    expect(file.headers['cache-control']).toBe('no-cache');
    expect(file.body).toContain(content);
  });

  it('serves an installable manifest', async () => {
    const manifest = await get('/authenticator/manifest.webmanifest');
    expect(manifest.headers['content-type']).toBe('application/manifest+json');
    expect(manifest.json()).toMatchObject({
      start_url: '/authenticator/',
      display: 'standalone',
      icons: [{ src: '/authenticator/icon.svg' }],
    });
  });

  it('redirects /authenticator to /authenticator/ and serves nothing but its own files', async () => {
    const bare = await get('/authenticator');
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/authenticator/');
    for (const url of ['/authenticator/index.html', '/authenticator/../package.json', '/authenticator/web/app.js']) {
      expect((await get(url)).statusCode).toBe(404);
    }
    expect((await get('/authenticator/constructor')).statusCode).toBe(404);
  });

  it("gives the VAPID public key and keeps an enrolled device's push subscription", async () => {
    const key = await call(app, 'GET', '/authenticator/api/push-key');
    expect(key.status).toBe(200);
    expect((key.body as { public_key: string }).public_key).toMatch(/^[A-Za-z0-9_-]{87}$/);

    const device = await enrolDevice(app, await createUser(app, 'push'));
    const subscription = {
      endpoint: 'https://push.example.com/send/abc',
      expirationTime: null,
      keys: { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') },
    };
    const answer = await call(app, 'POST', '/authenticator/api/push-subscription', subscription, device.deviceToken);

    expect(answer.status).toBe(204);
    expect(await app.get(DeviceChannelsRepository).find(device.deviceId)).toEqual({
      deviceId: device.deviceId,
      setting: { channel: 'web-push', subscription: { endpoint: subscription.endpoint, keys: subscription.keys } },
    });
  });

  it('refuses a push subscription without a device token, or that is not one', async () => {
    const device = await enrolDevice(app, await createUser(app, 'push'));
    const keys = { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') };
    const subscribe = (body: unknown, token?: string) =>
      call(app, 'POST', '/authenticator/api/push-subscription', body, token);

    expect((await subscribe({ endpoint: 'https://push.example.com/x', keys })).status).toBe(401);
    for (const body of [
      { endpoint: 'http://push.example.com/x', keys },
      { endpoint: 'https://push.example.com/x', keys: { ...keys, auth: 'short' } },
      { endpoint: 'https://push.example.com/x' },
    ]) {
      expect((await subscribe(body, device.deviceToken)).status).toBe(400);
    }
    expect(await app.get(DeviceChannelsRepository).find(device.deviceId)).toBeNull();
  });

  it.each([
    ['https://169.254.169.254/send/x', 'resolves to a link-local address, which is never allowed'],
    ['https://10.0.0.1/send/x', 'resolves to a private address'],
    ['https://push.example.com:22/send/x', 'must not use port 22'],
    ['https://evil.example\\@push.example.com/send/x', 'must be printable ASCII without a backslash'],
  ])('refuses a push subscription to %s under the egress policy of delivery', async (endpoint, reason) => {
    const device = await enrolDevice(app, await createUser(app, 'push'));
    const keys = { p256dh: Buffer.alloc(65, 4).toString('base64url'), auth: Buffer.alloc(16, 1).toString('base64url') };
    const answer = await call(
      app,
      'POST',
      '/authenticator/api/push-subscription',
      { endpoint, keys },
      device.deviceToken,
    );

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error_description: expect.stringContaining(reason) });
    expect(await app.get(DeviceChannelsRepository).find(device.deviceId)).toBeNull();
  });
});
