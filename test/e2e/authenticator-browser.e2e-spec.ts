import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import pg from 'pg';
import { verifyJwt } from '@backchannel/crypto';
import { authRequestStreamId } from '@backchannel/events';
import type { ConsentView } from '../../apps/approvals/src/authenticator/requests/consent-wording.js';
import { decisionChallenge } from '../../apps/approvals/src/authenticator/requests/decision-challenge.js';
import { BackchannelApi, type TestClient } from './support/backchannel-api.js';
import { type AuthenticatorBrowser, launchAuthenticatorBrowser } from './support/browser.js';
import { expectOAuthError } from './support/expectations.js';
import { type RunningStack, startEmbeddedStack } from './support/stacks.js';

/** Committed with the docs and shown in the README; rewritten on every run. */
/**
 * The README's screenshots: rewritten under docs/ with UPDATE_SCREENSHOTS=1, else written to
 * .cache/ so that an ordinary run leaves the working tree clean (the countdown changes each run).
 */
const SCREENSHOTS = path.resolve(process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.cache/screenshots');

const CLIENT_NAME = 'Northwind Bank';

/** Markup that must stay text, right-to-left scripts, an emoji sequence and one long unbroken word. */
const UNUSUAL_BINDING_MESSAGE =
  'Order 4711: <b>not bold</b> & <script>alert(1)</script> — שלום עולם — مرحبا بالعالم — 👩‍💻 — ' +
  `ref:${'X9'.repeat(60)}`;

/**
 * The built-in authenticator as a person uses it, in Debian's Chromium with a virtual passkey:
 * enrolment from an admin's link, then a client's requests answered in the page with the passkey,
 * and what the client gets for each answer.
 */
describe('built-in authenticator in a real browser (Chromium, virtual passkey, npm start)', () => {
  let stack: RunningStack | undefined;
  let browser: AuthenticatorBrowser | undefined;
  let api: BackchannelApi;
  let page: Page;
  let client: TestClient;
  /** Asks for an API scope and a payment (RFC 9396), both described through the admin API. */
  let payingClient: TestClient;
  let user: { sub: string; email: string };

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([
      // WebAuthn needs a secure context and a domain as RP ID: the page and the issuer are http://localhost.
      startEmbeddedStack({
        publicHost: 'localhost',
        env: { WEBAUTHN_RP_ID: 'localhost', AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: '300' },
      }),
      launchAuthenticatorBrowser(),
    ]);
    if (started.status === 'fulfilled') stack = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    api = new BackchannelApi(started.value);
    page = launched.value.page;
    await mkdir(SCREENSHOTS, { recursive: true });
    [client, payingClient, user] = await Promise.all([
      api.registerClient({ client_name: CLIENT_NAME, scope: 'openid profile email' }),
      api.registerClient({
        client_name: CLIENT_NAME,
        scope: 'openid payments',
        authorization_details_types: ['payment_initiation'],
      }),
      api.createUser(),
    ]);
    for (const [path, description] of [
      ['/admin/v1/scopes/payments', 'Make payments from your accounts'],
      ['/admin/v1/authorization-detail-types/payment_initiation', 'Pay someone'],
    ]) {
      const defined = await fetch(`${api.baseUrl}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${started.value.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ description }),
      });
      expect(defined.status).toBe(201);
    }
  });

  afterAll(async () => {
    await Promise.allSettled([browser?.close(), stack?.stop()]);
  });

  const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);

  /** Reads the stack's database, for what only the server knows (a challenge's nonce). */
  async function query<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const database = new pg.Client({ connectionString: stack!.databaseUrl });
    await database.connect();
    try {
      return (await database.query<Row>(sql, params)).rows;
    } finally {
      await database.end();
    }
  }

  async function requestConsent(params: Record<string, string>): Promise<string> {
    const response = await api.bcAuthorize(client, {
      scope: 'openid profile email',
      login_hint: user.email,
      ...params,
    });
    expect(response.status).toBe(200);
    return String(response.body.auth_req_id);
  }

  /** From the list, opens the one request waiting (the list refreshes itself: no push in headless Chromium). */
  async function openWaitingRequest(): Promise<void> {
    await byTestId('request-item').click({ timeout: 15_000 }); // strict: exactly one item
    await byTestId('screen-request').waitFor();
  }

  /** Clicks a decision button; the status once the passkey prompt and the server have answered. */
  async function answerWith(button: 'approve-button' | 'deny-button' | 'not-me-button'): Promise<string> {
    await byTestId(button).click();
    // shown (not empty) and past the prompt: the outcome, or the error the user would read
    const status = byTestId('decision-status').filter({ hasNotText: 'Confirm with your passkey' });
    await status.waitFor();
    return (await status.textContent()) ?? '';
  }

  async function backToTheList(): Promise<void> {
    await byTestId('back-link').click();
    await byTestId('requests-empty').waitFor();
  }

  it('enrols the device from the admin’s link with a passkey', async () => {
    const enrolment = await api.postJson(
      `/admin/v1/users/${user.sub}/enrolments`,
      {},
      {
        authorization: `Bearer ${stack!.adminToken}`,
      },
    );
    expect(enrolment.status).toBe(201);
    const enrolmentUrl = String(enrolment.body.enrolment_url);
    expect(enrolmentUrl.startsWith(`${api.baseUrl}/authenticator/`)).toBe(true);

    await page.goto(enrolmentUrl);
    await byTestId('screen-enrol').waitFor();
    expect(await byTestId('enrol-button').isEnabled()).toBe(true);
    await byTestId('device-name').fill('Test phone');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'authenticator-enrolment.png') });

    await byTestId('enrol-button').click();
    await byTestId('requests-empty').waitFor();
    expect(await browser!.credentials()).toEqual([
      expect.objectContaining({ rpId: 'localhost', isResidentCredential: true }),
    ]);
    // Web Push cannot subscribe without a push service; the app goes on without notifications.
    await page.locator('[data-testid="push-status"][data-state]').waitFor();
    expect(await byTestId('push-status').textContent()).toBe('Notifications off');
    expect(page.url()).toBe(`${api.baseUrl}/authenticator/#/`); // the code leaves the address bar
  });

  it('approves with the passkey: the client gets tokens saying a hardware key verified the user', async () => {
    const authReqId = await requestConsent({ binding_message: 'Pay £42.00 to Example Shop — code 7F3K' });
    await openWaitingRequest();
    expect(await byTestId('client-name').textContent()).toBe(CLIENT_NAME);
    expect(await byTestId('scope-list').locator('li').allTextContents()).toEqual([
      'Confirm who you are',
      'Your name and profile',
      'Your email address',
    ]);
    expect(await byTestId('binding-message').textContent()).toBe('Pay £42.00 to Example Shop — code 7F3K');
    expect(await byTestId('countdown').textContent()).toMatch(/^[45]:\d\d$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'authenticator-request.png') });

    const approvedAt = Math.floor(Date.now() / 1000);
    expect(await answerWith('approve-button')).toBe('Approved. You can go back to where you started.');

    const tokens = await api.token(client, authReqId);
    expect(tokens.status).toBe(200);
    const jwks = (await api.get('/jwks')).body as never;
    const idToken = await verifyJwt(String(tokens.body.id_token), jwks, {
      issuer: api.baseUrl,
      audience: client.clientId,
    });
    expect(idToken).toMatchObject({ sub: user.sub, amr: ['hwk', 'user', 'mfa'], acr: 'phr' });
    expect(idToken.auth_time).toBeGreaterThanOrEqual(approvedAt - 1);
    expect(idToken.auth_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    await backToTheList();
  });

  it('shows an API scope, a payment and a claim asked for in plain words, and the passkey signs exactly that', async () => {
    const payment = {
      type: 'payment_initiation',
      actions: ['initiate'],
      instructedAmount: { currency: 'EUR', amount: '123.50' },
      creditorName: 'Merchant A',
    };
    const requested = await api.bcAuthorize(payingClient, {
      scope: 'openid payments',
      login_hint: user.email,
      authorization_details: JSON.stringify([payment]),
      claims: JSON.stringify({ id_token: { email: null } }),
    });
    expect(requested.status).toBe(200);
    await openWaitingRequest();

    expect(await byTestId('scope-list').locator('li').allTextContents()).toEqual([
      'Confirm who you are',
      'Make payments from your accounts',
      'Your email address',
    ]);
    const detail = byTestId('authorization-detail');
    expect(await detail.locator('h3').allTextContents()).toEqual(['Pay someone']);
    expect(await detail.locator('dt').allTextContents()).toEqual(['Actions', 'Creditor name', 'Instructed amount']);
    expect(await detail.locator('dd').allTextContents()).toEqual([
      'initiate',
      'Merchant A',
      'Amount: 123.50; Currency: EUR',
    ]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'authenticator-payment.png') });

    // the decision waits until the challenge's nonce is read, so the challenge can be recomputed here
    let challenge = '';
    page.on('response', async (response) => {
      if (response.url().endsWith('/challenge')) challenge = String((await response.json()).challenge);
    });
    let nonce = '';
    await page.route('**/decision', async (route) => {
      [{ nonce }] = await query<{ nonce: string }>('SELECT nonce FROM decision_nonces');
      await route.continue();
    });
    expect(await answerWith('approve-button')).toBe('Approved. You can go back to where you started.');
    await page.unroute('**/decision');

    const [{ request_id: requestId }] = await query<{ request_id: string }>(
      'SELECT request_id FROM user_requests WHERE stream_id = $1',
      [authRequestStreamId(String(requested.body.auth_req_id))],
    );
    const shown: ConsentView = {
      scopes: [
        { scope: 'openid', description: 'Confirm who you are' },
        { scope: 'payments', description: 'Make payments from your accounts' },
      ],
      authorization_details: [
        {
          type: 'payment_initiation',
          description: 'Pay someone',
          fields: [
            { label: 'Actions', value: 'initiate' },
            { label: 'Creditor name', value: 'Merchant A' },
            { label: 'Instructed amount', value: 'Amount: 123.50; Currency: EUR' },
          ],
          detail: payment,
        },
      ],
      claims: [{ claim: 'email', description: 'Your email address' }],
    };
    const expected = decisionChallenge({ requestId, consent: shown, bindingMessage: null, decision: 'approve', nonce });
    expect(challenge).toBe(Buffer.from(expected).toString('base64url'));

    const tokens = await api.token(payingClient, String(requested.body.auth_req_id));
    expect(tokens.status).toBe(200);
    expect(tokens.body.authorization_details).toEqual([payment]);
    await backToTheList();
  });

  it('shows an unusual binding message as text, gracefully, and denies: the client gets access_denied', async () => {
    expect([...UNUSUAL_BINDING_MESSAGE].length).toBeLessThanOrEqual(256);
    const authReqId = await requestConsent({ binding_message: UNUSUAL_BINDING_MESSAGE });
    await openWaitingRequest();
    expect(await byTestId('binding-message').textContent()).toBe(UNUSUAL_BINDING_MESSAGE);
    expect(await page.locator('b, script:not([src])').count()).toBe(0);
    // nothing runs off the side of the phone's screen
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    expect(await answerWith('deny-button')).toBe('Denied.');
    expectOAuthError(await api.token(client, authReqId), 400, 'access_denied');
    await backToTheList();
  });

  it('“This wasn’t me” denies as well: the client gets access_denied', async () => {
    const authReqId = await requestConsent({});
    await openWaitingRequest();
    expect(await answerWith('not-me-button')).toBe('Denied, and recorded as a request you did not make.');
    expectOAuthError(await api.token(client, authReqId), 400, 'access_denied');
    await backToTheList();
  });
});
