import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import ece from 'http_ece';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { authRequestDecider } from '@backchannel/auth-request';
import {
  AUTHENTICATION_CHANNEL_TOKEN_TYPE,
  PayloadSealer,
  SigningKeys,
  TokenSigner,
  authenticationChannelAudience,
  verifyJwt,
} from '@backchannel/crypto';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { DeliveryWorker } from '@backchannel/delivery';
import { VapidKeys } from '@backchannel/device-channels';
import { TEST_ADMIN_TOKEN } from '@backchannel/testing';
import {
  KEYCLOAK_CHANNEL_PATH,
  DeviceChannelsFixture,
  type TestSubscription,
} from './support/device-channels.fixture.js';

const fixture = new DeviceChannelsFixture();
const CALLBACK_PATH = '/realms/any-realm/protocol/openid-connect/ext/ciba/auth/callback';

/** Secrets handed out by the tests, which no log line may contain. */
const secrets: string[] = [];

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

afterAll(() => {
  for (const secret of secrets) expect(fixture.logLines.filter((line) => line.includes(secret))).toEqual([]);
});

async function jobOf(streamId: string, deviceId: string): Promise<{ attempts: number; done_at: Date | null } | null> {
  const [row] = (await fixture.app.get(DataSource).query(
    `SELECT attempts, done_at FROM delivery_jobs
        WHERE queue = 'device-notification' AND stream_id = $1 AND recipient = $2`,
    [streamId, deviceId],
  )) as { attempts: number; done_at: Date | null }[];
  return row ?? null;
}

/** Opens an aes128gcm message with the browser's keys, as the push service's client would. */
function decrypt(subscription: TestSubscription, body: Buffer): unknown {
  const plaintext = ece.decrypt(body, {
    version: 'aes128gcm',
    privateKey: subscription.receiverKeys,
    authSecret: subscription.authSecret,
  });
  return JSON.parse(plaintext.toString('utf8'));
}

describe('Web Push', () => {
  it('sends the message encrypted for the subscription, with a VAPID signature for the push service, once', async () => {
    const { subject } = await fixture.createUser();
    const subscription = await fixture.webPushDevice(subject);
    const requested = await fixture.requestAuthentication(subject);

    await Promise.all([fixture.deliver(requested), fixture.deliver(requested)]);
    await fixture.deliver(requested);

    const notified = await fixture.waitForEvent(requested.streamId, 'UserNotified', { channel: 'web-push' });
    await fixture.settle();
    const [received, ...more] = fixture.requestsTo(subscription.path);
    expect(more).toEqual([]);
    expect(received!.headers).toMatchObject({
      'content-encoding': 'aes128gcm',
      'content-type': 'application/octet-stream',
      urgency: 'high',
    });
    const ttl = Number(received!.headers['ttl']);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);

    // the payload: what the service worker shows, never the auth_req_id
    expect(decrypt(subscription, received!.rawBody)).toEqual({
      requestId: requested.data.requestId,
      clientName: requested.data.clientName,
      bindingMessage: requested.data.bindingMessage,
      expiresAt: requested.data.expiresAt,
    });

    // RFC 8292: Authorization: vapid t=<ES256 JWT for the push service's origin>, k=<the VAPID public key>
    const authorization = /^vapid t=([^,]+), k=([A-Za-z0-9_-]+)$/.exec(String(received!.headers['authorization']));
    expect(authorization).not.toBeNull();
    const [, jwt, publicKey] = authorization!;
    expect(publicKey).toBe(await fixture.app.get(VapidKeys).publicKey());
    const point = Buffer.from(publicKey!, 'base64url');
    expect(point).toHaveLength(65);
    const key = await importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      'ES256',
    );
    const { payload, protectedHeader } = await jwtVerify(jwt!, key, {
      algorithms: ['ES256'],
      audience: `https://localhost:${fixture.receiver.port}`,
      requiredClaims: ['exp', 'sub'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe(fixture.config.webPush.subject);
    expect(payload.exp! - Date.now() / 1_000).toBeLessThanOrEqual(24 * 3600);

    expect(notified).toMatchObject({
      data: { requestId: requested.data.requestId, subject, channel: 'web-push', deviceId: subscription.deviceId },
      metadata: {
        causationId: requested.eventId,
        correlationId: requested.metadata.correlationId,
        actor: 'system:notifier',
      },
    });
    const events = await fixture.streamEvents(requested.streamId);
    // the web push, and nothing for a channel that sent nothing
    expect(events.filter((event) => event.type === 'UserNotified').map((event) => event.data)).toEqual([
      expect.objectContaining({ channel: 'web-push', deviceId: subscription.deviceId }),
    ]);
  });

  it('gives up on a subscription the push service says is gone (410): NotificationFailed client_error', async () => {
    const { subject } = await fixture.createUser();
    const subscription = await fixture.webPushDevice(subject);
    fixture.scripts.set(subscription.path, [{ status: 410 }]);
    const requested = await fixture.requestAuthentication(subject);

    await fixture.deliver(requested);

    const failed = await fixture.waitForEvent(requested.streamId, 'NotificationFailed');
    expect(failed.data).toEqual({
      requestId: requested.data.requestId,
      subject,
      channel: 'web-push',
      deviceId: subscription.deviceId,
      reason: 'client_error',
      httpStatus: 410,
      attempts: 1,
      detail: 'answered 410',
    });
    await fixture.settle();
    expect(fixture.requestsTo(subscription.path)).toHaveLength(1);
  });

  it('retries after a 500 with backoff, then records UserNotified', async () => {
    const { subject } = await fixture.createUser();
    const subscription = await fixture.webPushDevice(subject);
    fixture.scripts.set(subscription.path, [{ status: 500 }, { status: 201 }]);
    const requested = await fixture.requestAuthentication(subject);

    await fixture.deliver(requested);

    await fixture.waitForEvent(requested.streamId, 'UserNotified', { channel: 'web-push' });
    await fixture.settle();
    const [first, second, ...more] = fixture.requestsTo(subscription.path);
    expect(more).toEqual([]);
    // both attempts carry the same message, each encrypted afresh
    expect(decrypt(subscription, second!.rawBody)).toEqual(decrypt(subscription, first!.rawBody));
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(25);
    expect(await jobOf(requested.streamId, subscription.deviceId)).toMatchObject({
      attempts: 2,
      done_at: expect.any(Date),
    });
  });

  it('gives up when retries reach the expiry: NotificationFailed retries_exhausted', async () => {
    const { subject } = await fixture.createUser();
    const subscription = await fixture.webPushDevice(subject);
    fixture.scripts.set(
      subscription.path,
      Array.from({ length: 50 }, () => ({ status: 503 })),
    );
    const requested = await fixture.requestAuthentication(subject, 1_500);

    await fixture.deliver(requested);

    const failed = await fixture.waitForEvent(requested.streamId, 'NotificationFailed', { timeoutMs: 10_000 });
    expect(failed.data).toMatchObject({ reason: 'retries_exhausted', detail: 'answered 503' });
    expect((failed.data as { attempts: number }).attempts).toBeGreaterThan(1);
    expect(fixture.requestsTo(subscription.path)).toHaveLength((failed.data as { attempts: number }).attempts);
    fixture.scripts.delete(subscription.path);
  });

  it('keeps one VAPID key pair: processes starting together agree, and the private key is stored sealed', async () => {
    const dataSource = fixture.app.get(DataSource);
    const sealer = fixture.app.get(PayloadSealer);
    const [first, second] = await Promise.all([
      new VapidKeys(dataSource, sealer, fixture.config).current(),
      new VapidKeys(dataSource, sealer, fixture.config).current(),
    ]);

    expect(second).toEqual(first);
    expect(first).toEqual(await fixture.app.get(VapidKeys).current());
    const [row] = (await dataSource.query(`SELECT public_key, sealed_private_key FROM vapid_keys`)) as {
      public_key: string;
      sealed_private_key: string;
    }[];
    expect(row!.public_key).toBe(first!.publicKey);
    expect(row!.sealed_private_key).not.toContain(first!.privateKey);
  });
});

/** The receiver's check of a webhook call: Stripe-style `t=..,v1=..` over "<t>.<raw body>", within 5 minutes. */
function verifyWebhookSignature(secret: string, header: string, rawBody: Buffer): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const [, timestamp, signature] = match;
  if (Math.abs(Date.now() / 1_000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signature!, 'hex'));
}

describe('signed webhook', () => {
  it('POSTs the request signed with the secret shown once at registration, retrying a 503', async () => {
    const { subject } = await fixture.createUser();
    const path = '/webhook/device-1';
    const device = await fixture.registerDevice(subject, {
      channel: 'webhook',
      webhook_url: fixture.receiver.url(path),
    });
    expect(device.channel).toBe('webhook');
    expect(Buffer.from(device.webhook_secret!, 'base64url')).toHaveLength(32);
    secrets.push(device.webhook_secret!, device.device_token);
    const [stored] = (await fixture.app
      .get(DataSource)
      .query(`SELECT settings FROM device_channels WHERE device_id = $1`, [device.device_id])) as {
      settings: { url: string; sealedSecret: string };
    }[];
    expect(stored!.settings.url).toBe(fixture.receiver.url(path));
    expect(JSON.stringify(stored)).not.toContain(device.webhook_secret);

    fixture.scripts.set(path, [{ status: 503 }, { status: 204 }]);
    const requested = await fixture.requestAuthentication(subject);
    await fixture.deliver(requested);

    const notified = await fixture.waitForEvent(requested.streamId, 'UserNotified', { channel: 'webhook' });
    await fixture.settle();
    expect(notified.data).toEqual({
      requestId: requested.data.requestId,
      subject,
      channel: 'webhook',
      deviceId: device.device_id,
    });
    const calls = fixture.requestsTo(path);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.headers['content-type']).toBe('application/json');
      expect(
        verifyWebhookSignature(device.webhook_secret!, String(call.headers['backchannel-signature']), call.rawBody),
      ).toBe(true);
      expect(
        verifyWebhookSignature('another-secret', String(call.headers['backchannel-signature']), call.rawBody),
      ).toBe(false);
      expect(call.json).toEqual({
        type: 'auth_request',
        deviceId: device.device_id,
        requestId: requested.data.requestId,
        clientName: requested.data.clientName,
        scope: ['openid', 'profile'],
        bindingMessage: requested.data.bindingMessage,
        expiresAt: requested.data.expiresAt,
      });
    }
  });

  it('records a 4xx from the webhook as a client error, without retrying', async () => {
    const { subject } = await fixture.createUser();
    const path = '/webhook/refusing';
    const device = await fixture.registerDevice(subject, {
      channel: 'webhook',
      webhook_url: fixture.receiver.url(path),
    });
    fixture.scripts.set(path, [{ status: 401 }]);
    const requested = await fixture.requestAuthentication(subject);

    await fixture.deliver(requested);

    const failed = await fixture.waitForEvent(requested.streamId, 'NotificationFailed');
    expect(failed.data).toMatchObject({
      channel: 'webhook',
      deviceId: device.device_id,
      reason: 'client_error',
      httpStatus: 401,
      attempts: 1,
      detail: 'answered 401',
    });
  });

  it.each([
    [{ channel: 'webhook' }, 'a webhook device needs a webhook_url'],
    [{ channel: 'webhook', webhook_url: 'https://169.254.169.254/hook' }, 'webhook_url resolves to'],
    [
      { channel: 'webhook', webhook_url: 'https://user:pw@example.com/hook' },
      'webhook_url must not contain user information',
    ],
    [
      { channel: 'webhook', webhook_url: 'https://evil.example\\@example.com/hook' },
      'webhook_url must be printable ASCII without a backslash',
    ],
    [{ channel: 'webhook', webhook_url: 'https://example.com:0/hook' }, 'webhook_url must not use port 0'],
    [{ channel: 'webhook', webhook_url: 'https://example.com:22/hook' }, 'webhook_url must not use port 22'],
    [{ channel: 'device-api', webhook_url: 'https://example.com/hook' }, 'webhook_url is only for the webhook channel'],
    [{ channel: 'web-push' }, 'web-push devices enrol in the authenticator'],
  ])('refuses the device %j with 400', async (body, message) => {
    const { subject } = await fixture.createUser();
    const refused = await fixture.admin(`/admin/v1/users/${subject}/devices`, { name: 'Bot', ...body });

    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining(message),
    });
    const [{ count }] = (await fixture.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS count FROM devices WHERE subject = $1`, [subject])) as { count: number }[];
    expect(count).toBe(0);
  });
});

describe('Keycloak-compatible authentication channel', () => {
  interface ChannelCall {
    token: string;
    body: unknown;
  }

  /** The backend's side: the POST it received for the user (by login_hint). */
  async function channelCallFor(username: string): Promise<ChannelCall> {
    const forUser = () =>
      fixture
        .requestsTo(KEYCLOAK_CHANNEL_PATH)
        .find((request) => (request.json as { login_hint?: string }).login_hint === username);
    for (const deadline = Date.now() + 5_000; !forUser(); await fixture.settle(25)) {
      if (Date.now() > deadline) throw new Error(`no channel request for ${username}`);
    }
    const call = forUser()!;
    const token = /^Bearer (\S+)$/.exec(String(call.headers['authorization']))![1]!;
    secrets.push(token);
    return { token, body: call.json };
  }

  /** What a Keycloak channel backend does once the user answered: POST the result with the token it was given. */
  function callBack(token: string | null, body: unknown): Promise<{ status: number; json: unknown }> {
    return fixture.call(CALLBACK_PATH, body, token === null ? {} : { authorization: `Bearer ${token}` });
  }

  async function keycloakRequest(): Promise<{
    subject: string;
    username: string;
    deviceId: string;
    deviceToken: string;
    requested: Awaited<ReturnType<typeof fixture.requestAuthentication>>;
    call: ChannelCall;
  }> {
    const { subject, username } = await fixture.createUser();
    const device = await fixture.registerDevice(subject, { channel: 'keycloak-http' });
    expect(device).toMatchObject({ channel: 'keycloak-http' });
    expect(device.webhook_secret).toBeUndefined();
    const requested = await fixture.requestAuthentication(subject);
    await fixture.deliver(requested);
    const call = await channelCallFor(username);
    await fixture.waitForEvent(requested.streamId, 'UserNotified', { channel: 'keycloak-http' });
    return { subject, username, deviceId: device.device_id, deviceToken: device.device_token, requested, call };
  }

  it("POSTs Keycloak's request body with a signed bearer token, and approves on SUCCEED", async () => {
    const { subject, username, deviceId, requested, call } = await keycloakRequest();

    // exactly Keycloak's AuthenticationChannelRequest: no client credential, no auth_req_id
    expect(call.body).toEqual({
      scope: 'openid profile',
      binding_message: 'W4SX 🧾',
      login_hint: username,
      is_consent_required: true,
    });
    expect(decodeProtectedHeader(call.token).typ).toBe(AUTHENTICATION_CHANNEL_TOKEN_TYPE);
    const claims = await verifyJwt(call.token, await fixture.app.get(SigningKeys).jwks(), {
      issuer: fixture.config.issuer,
      audience: authenticationChannelAudience(fixture.config.issuer),
      typ: AUTHENTICATION_CHANNEL_TOKEN_TYPE,
    });
    expect(claims).toMatchObject({
      sub: subject,
      azp: requested.data.clientId,
      typ: 'Bearer',
      jti: expect.any(String),
    });
    expect(claims.exp).toBe(Math.floor(Date.parse(requested.data.expiresAt) / 1_000));
    const notified = await fixture.waitForEvent(requested.streamId, 'UserNotified', { channel: 'keycloak-http' });
    expect(notified.data).toMatchObject({ deviceId });

    const answered = await callBack(call.token, { status: 'SUCCEED' });

    expect(answered.status).toBe(200);
    const given = await fixture.waitForEvent(requested.streamId, 'ConsentGiven', { timeoutMs: 0 });
    expect(given.data).toMatchObject({
      requestId: requested.data.requestId,
      subject,
      deviceId,
      grantedScope: ['openid', 'profile'],
      evidence: { method: 'channel', channel: 'keycloak-http' },
    });
    // answered in the same transaction: no longer among the user's open requests
    const [asked] = (await fixture.app
      .get(DataSource)
      .query(`SELECT answered_at FROM user_requests WHERE request_id = $1`, [requested.data.requestId])) as {
      answered_at: Date | null;
    }[];
    expect(asked!.answered_at).toBeInstanceOf(Date);

    // the token is spent: a replay is refused as Keycloak refuses it
    const replayed = await callBack(call.token, { status: 'CANCELLED' });
    expect(replayed).toEqual({ status: 403, json: { error: 'invalid_token', error_description: 'Invalid token' } });
  });

  it('lets the device answer through the callback only: its device token cannot decide at the device API', async () => {
    const { requested, call, deviceToken } = await keycloakRequest();
    secrets.push(deviceToken);
    const refused = await fixture.call(
      `/device/v1/requests/${requested.data.requestId}/decision`,
      { decision: 'approve' },
      { authorization: `Bearer ${deviceToken}` },
    );
    expect(refused).toEqual({
      status: 403,
      json: { error: 'forbidden', error_description: 'This device answers through its authentication channel.' },
    });
    expect((await fixture.streamEvents(requested.streamId)).map((event) => event.type)).not.toContain('ConsentGiven');
    expect((await callBack(call.token, { status: 'SUCCEED' })).status).toBe(200);
  });

  it.each([
    ['UNAUTHORIZED', 'authentication_failed'],
    ['CANCELLED', 'cancelled'],
  ])('denies on %s with the reason %s', async (status, reason) => {
    const { subject, deviceId, requested, call } = await keycloakRequest();

    const answered = await callBack(call.token, { status, extra_param: 'kept by Keycloak, ignored here' });

    expect(answered.status).toBe(200);
    const denied = await fixture.waitForEvent(requested.streamId, 'ConsentDenied', { timeoutMs: 0 });
    expect(denied.data).toEqual({ requestId: requested.data.requestId, subject, deviceId, reason });
  });

  it("refuses an access token of the user at the callback, and the channel's token is no access token", async () => {
    const { subject, requested, call } = await keycloakRequest();
    const accessToken = await fixture.app.get(TokenSigner).signAccessToken({
      issuer: fixture.config.issuer,
      audience: fixture.config.issuer,
      subject,
      clientId: requested.data.clientId,
      scope: ['openid'],
      jti: 'access-token-at-the-callback',
      issuedAt: new Date(),
      expiresInSeconds: 60,
    });

    expect((await callBack(accessToken, { status: 'SUCCEED' })).status).toBe(403);
    const jwks = await fixture.app.get(SigningKeys).jwks();
    await expect(
      verifyJwt(call.token, jwks, { issuer: fixture.config.issuer, audience: fixture.config.issuer }),
    ).rejects.toMatchObject({ claim: 'aud' });
    expect((await callBack(call.token, { status: 'SUCCEED' })).status).toBe(200);
  });

  it('refuses a callback without a token (401), with an unknown one (403) or without a valid status (400)', async () => {
    const { requested, call } = await keycloakRequest();

    expect(await callBack(null, { status: 'SUCCEED' })).toEqual({
      status: 401,
      json: { error: 'invalid_token', error_description: 'Invalid token' },
    });
    expect((await callBack(`${call.token}x`, { status: 'SUCCEED' })).status).toBe(403);
    expect((await callBack('not-a-token', { status: 'SUCCEED' })).status).toBe(403);
    expect(await callBack(call.token, { status: 'APPROVED' })).toEqual({
      status: 400,
      json: { error: 'invalid_request', error_description: 'Invalid authentication status' },
    });
    expect((await callBack(call.token, {})).status).toBe(400);
    const decisions = (await fixture.streamEvents(requested.streamId)).filter(
      (event) => event.type === 'ConsentGiven' || event.type === 'ConsentDenied',
    );
    expect(decisions).toEqual([]);

    // a refused callback did not spend the token
    expect((await callBack(call.token, { status: 'CANCELLED' })).status).toBe(200);
  });

  it('counts an unknown callback token as a failed device authentication of its address', async () => {
    const failuresOf127 = async () => {
      const rows: { failures: number }[] = await fixture.app
        .get(DataSource)
        .query(`SELECT failures FROM authentication_failures WHERE address = '127.0.0.1' AND surface = 'device'`);
      return rows[0]?.failures ?? 0;
    };
    const before = await failuresOf127();

    expect((await callBack('not-a-token', { status: 'SUCCEED' })).status).toBe(403);
    expect((await callBack('nor-this-one', { status: 'SUCCEED' })).status).toBe(403);

    // the same limit as the device API's (FailedAuthenticationLimit): spent, the address gets 429
    expect(await failuresOf127()).toBe(before + 2);
  });

  it('refuses a token once the request was decided elsewhere (403), as Keycloak does for a request no longer pending', async () => {
    const { subject, requested, call } = await keycloakRequest();
    const denied = await handleCommand(fixture.app.get(PostgresEventStore), requested.streamId, authRequestDecider, {
      type: 'DenyConsent',
      data: { subject, deviceId: 'dev_other' },
      metadata: { now: new Date().toISOString(), correlationId: 'device-channels-int-spec', actor: 'test' },
    });
    expect(denied.outcome).toBe('accepted');

    expect((await callBack(call.token, { status: 'SUCCEED' })).status).toBe(403);
    expect((await fixture.streamEvents(requested.streamId)).filter((event) => event.type === 'ConsentGiven')).toEqual(
      [],
    );
  });

  it("records a backend's answer other than 201 as rejected", async () => {
    const { subject, username } = await fixture.createUser();
    const device = await fixture.registerDevice(subject, { channel: 'keycloak-http' });
    fixture.scripts.set(`keycloak:${username}`, [{ status: 200 }]);
    const requested = await fixture.requestAuthentication(subject);

    await fixture.deliver(requested);

    const failed = await fixture.waitForEvent(requested.streamId, 'NotificationFailed');
    expect(failed.data).toMatchObject({
      channel: 'keycloak-http',
      deviceId: device.device_id,
      reason: 'rejected',
      httpStatus: null,
      attempts: 1,
      detail: 'answered 200; the channel accepts a request with 201 only',
    });
  });
});

describe('delivery', () => {
  it('notifies each device of the user once, however often AuthRequested is delivered', async () => {
    const { subject } = await fixture.createUser();
    const first = await fixture.webPushDevice(subject);
    const second = await fixture.webPushDevice(subject);
    const hookPath = '/webhook/redelivery';
    const hook = await fixture.registerDevice(subject, {
      channel: 'webhook',
      webhook_url: fixture.receiver.url(hookPath),
    });
    const apiDevice = await fixture.registerDevice(subject, {});
    const other = await fixture.createUser();
    const othersDevice = await fixture.webPushDevice(other.subject);
    const requested = await fixture.requestAuthentication(subject);

    await Promise.all([fixture.deliver(requested), fixture.deliver(requested), fixture.deliver(requested)]);
    await fixture.deliver(requested);

    for (const deviceId of [first.deviceId, second.deviceId, hook.device_id]) {
      for (const deadline = Date.now() + 5_000; (await jobOf(requested.streamId, deviceId))?.done_at == null;) {
        if (Date.now() > deadline) throw new Error(`${deviceId} was not notified`);
        await fixture.settle(25);
      }
    }
    await fixture.settle();
    expect(fixture.requestsTo(first.path)).toHaveLength(1);
    expect(fixture.requestsTo(second.path)).toHaveLength(1);
    expect(fixture.requestsTo(hookPath)).toHaveLength(1);
    expect(fixture.requestsTo(othersDevice.path)).toEqual([]);
    expect(await jobOf(requested.streamId, apiDevice.device_id)).toBeNull();
    const notified = (await fixture.streamEvents(requested.streamId))
      .filter((event) => event.type === 'UserNotified')
      .map((event) => `${event.data.channel}:${event.data.deviceId}`);
    expect(notified.sort()).toEqual(
      [`web-push:${first.deviceId}`, `web-push:${second.deviceId}`, `webhook:${hook.device_id}`].sort(),
    );
  });

  it('sends nothing for a request decided before its turn came', async () => {
    const worker = fixture.app.get(DeliveryWorker);
    await worker.stop();
    try {
      const { subject } = await fixture.createUser();
      const subscription = await fixture.webPushDevice(subject);
      const requested = await fixture.requestAuthentication(subject);
      await fixture.deliver(requested);
      const approved = await handleCommand(
        fixture.app.get(PostgresEventStore),
        requested.streamId,
        authRequestDecider,
        {
          type: 'GiveConsent',
          data: { subject, deviceId: 'dev_elsewhere' },
          metadata: { now: new Date().toISOString(), correlationId: 'device-channels-int-spec', actor: 'test' },
        },
      );
      expect(approved.outcome).toBe('accepted');

      worker.start();
      for (
        const deadline = Date.now() + 5_000;
        (await jobOf(requested.streamId, subscription.deviceId))?.done_at == null;
      ) {
        if (Date.now() > deadline) throw new Error('the job did not end');
        await fixture.settle(25);
      }
      expect(fixture.requestsTo(subscription.path)).toEqual([]);
      const types = (await fixture.streamEvents(requested.streamId)).map((event) => event.type);
      expect(types).toEqual(['AuthRequested', 'ConsentGiven']);
    } finally {
      worker.start();
    }
  });
});

describe('JSON bodies', () => {
  /** A body as written, not as JSON.stringify would write it. */
  async function postRaw(path: string, body: string, headers: Record<string, string>) {
    const response = await fetch(`${fixture.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return {
      status: response.status,
      cacheControl: response.headers.get('cache-control'),
      json: response.status === 204 ? null : await response.json(),
    };
  }

  it('refuses a decision that repeats a key, however the key is written, and records no answer', async () => {
    const { subject } = await fixture.createUser();
    const device = await fixture.registerDevice(subject, {});
    secrets.push(device.device_token);
    const requested = await fixture.requestAuthentication(subject);
    const path = `/device/v1/requests/${requested.data.requestId}/decision`;
    const asDevice = { authorization: `Bearer ${device.device_token}` };

    for (const body of [
      '{"decision":"approve","decision":"deny"}',
      '{"decision":"deny","\\u0064ecision":"approve"}',
      '{"decision":"approve","context":{"reason":"a","reason":"b"}}',
    ]) {
      expect(await postRaw(path, body, asDevice)).toEqual({
        status: 400,
        cacheControl: 'no-store',
        json: { error: 'invalid_request', error_description: 'A JSON object must not repeat a key.' },
      });
    }
    // still refused as Fastify refuses it: a key that would replace the prototype
    expect((await postRaw(path, '{"__proto__":{"decision":"approve"}}', asDevice)).json).toMatchObject({
      error: 'invalid_request',
    });
    expect((await fixture.streamEvents(requested.streamId)).map((event) => event.type)).toEqual(['AuthRequested']);

    // the same device's answer said once is taken
    expect((await postRaw(path, '{"decision":"deny"}', asDevice)).status).toBe(204);
    expect((await fixture.streamEvents(requested.streamId)).map((event) => event.type)).toContain('ConsentDenied');
  });

  it('refuses a repeated key in the admin API, in JSON and in a merge patch', async () => {
    const subject = `channels-${randomBytes(6).toString('hex')}`;
    const asAdmin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const created = await postRaw('/admin/v1/users', `{"sub":"${subject}","sub":"someone-else"}`, asAdmin);
    expect(created.status).toBe(400);
    expect(created.json).toEqual({
      error: 'invalid_request',
      error_description: 'A JSON object must not repeat a key.',
    });
    const patched = await fetch(`${fixture.baseUrl}/admin/v1/users/${subject}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', ...asAdmin },
      body: '{"name":"a","name":"b"}',
    });
    expect(patched.status).toBe(400);
  });
});
