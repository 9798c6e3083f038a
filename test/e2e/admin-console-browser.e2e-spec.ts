import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { BackchannelApi } from './support/backchannel-api.js';
import { launchBrowser } from './support/browser.js';
import { type RunningStack, startEmbeddedStack } from './support/stacks.js';

/** The README's screenshot: rewritten under docs/ with UPDATE_SCREENSHOTS=1, else written to .cache/. */
const SCREENSHOTS = path.resolve(process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.cache/screenshots');

/**
 * The admin console as an operator uses it, in Debian's Chromium against `npm start`: sign in with
 * the admin token, see the requests of three flows with their status, open one's timeline, verify
 * the log, see the readers of the log and the dead letters.
 */
describe('admin console in a real browser (Chromium, npm start)', () => {
  let stack: RunningStack | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let api: BackchannelApi;
  const authReqIds: string[] = [];

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([
      startEmbeddedStack(),
      launchBrowser({ width: 1280, height: 1100 }),
    ]);
    if (started.status === 'fulfilled') stack = started.value;
    if (launched.status === 'fulfilled') browser = launched.value.browser;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    page = launched.value.page;
    api = new BackchannelApi(started.value);
    await mkdir(SCREENSHOTS, { recursive: true });

    // three requests: tokens issued, denied, still pending
    const client = await api.registerClient({ client_name: 'Console client' });
    const user = await api.createUserWithDevice();
    const outcomes = [{ decision: 'approve', scope: 'openid' }, { decision: 'deny' }, null];
    for (const decision of outcomes) {
      const response = await api.postForm(
        '/bc-authorize',
        { scope: 'openid', login_hint: user.email },
        { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      );
      expect(response.status).toBe(200);
      authReqIds.push(String(response.body.auth_req_id));
      const onDevice = await api.pendingOnDevice(user, 'Console client');
      if (decision) expect((await api.decide(user, onDevice.request_id, decision)).status).toBe(204);
    }
    await sleep(1100); // the poll interval
    expect((await api.token(client, authReqIds[0]!)).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.allSettled([browser?.close(), stack?.stop()]);
  });

  it('is served with a strict content security policy and asks for the admin token', async () => {
    const response = await page.goto(`${stack!.baseUrl}/admin/console/`);
    expect(response!.status()).toBe(200);
    const policy = (await response!.allHeaders())['content-security-policy'];
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");

    await page.fill('#admin-token', 'not-the-admin-token');
    await page.click('#sign-in-form button');
    await page.waitForSelector('#sign-in-error:not([hidden])');
    expect(await page.textContent('#sign-in-error')).toContain('refused');
    expect(await page.isVisible('#dashboard')).toBe(false);
  });

  it('shows the recent requests with their status, and a request’s timeline', async () => {
    await page.fill('#admin-token', stack!.adminToken);
    await page.click('#sign-in-form button');
    await page.waitForSelector('#request-rows tr');
    const statuses = await page.$$eval('#request-rows .status', (cells) => cells.map((cell) => cell.textContent));
    expect(statuses.slice(0, 3)).toEqual(['Pending', 'Denied', 'Issued']);

    await page.click('#request-rows tr:nth-child(3)');
    await page.waitForSelector('#timeline:not([hidden]) li');
    const types = await page.$$eval('#timeline-events strong', (items) => items.map((item) => item.textContent));
    expect(types).toEqual(['AuthRequested', 'ConsentGiven', 'TokensIssued']);
    // the client's secret handle never reaches the page, nor any sealed value
    const text = (await page.textContent('body')) ?? '';
    for (const authReqId of authReqIds) expect(text).not.toContain(authReqId);
  });

  it('verifies the log, lists the readers of the log and the dead letters', async () => {
    await page.click('#verify');
    await page.waitForSelector('#verification-result.ok');
    expect(await page.textContent('#verification-result')).toContain('every chain holds');
    const readers = await page.$$eval('#consumer-rows tr td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(readers).toEqual(
      expect.arrayContaining([
        'event-store-transport:backchannel-notifier',
        'event-store-transport:backchannel-token',
        'event-store-transport:backchannel-ping-delivery',
      ]),
    );
    expect(await page.isVisible('#no-dead-letters')).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-console.png'), fullPage: true });
  });

  it('answers its API only to the admin token', async () => {
    const response = await fetch(`${stack!.baseUrl}/admin/v1/console/requests`);
    expect(response.status).toBe(401);
    const withToken = await fetch(`${stack!.baseUrl}/admin/v1/console/requests?limit=0`, {
      headers: { authorization: `Bearer ${stack!.adminToken}` },
    });
    expect(withToken.status).toBe(400);
  });
});
