import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReceivedRequest, ReceiverReply } from '@backchannel/testing';
import { type JWTPayload, createRemoteJWKSet, jwtVerify } from 'jose';
import type { BackchannelApi, TestClient, TestUser } from './backchannel-api.js';
import { expectOAuthError } from './expectations.js';
import type { NotificationEndpoint, NotificationEndpoints } from './notification-endpoints.js';

export type NotificationMode = 'ping' | 'push';

/** A ping or push client, registered with its own endpoint of the suite's receiver. */
export interface NotifiedClient extends TestClient {
  name: string;
  mode: NotificationMode;
  endpoint: NotificationEndpoint;
}

/** A request made at /bc-authorize, with what the client knows of it. */
export interface StartedRequest {
  client: NotifiedClient;
  user: TestUser;
  authReqId: string;
  notificationToken: string;
  expiresIn: number;
}

/** How long a test watches an endpoint for a call that must not come: several retry periods. */
export const QUIET_PERIOD_MS = 2_500;

/** The push-mode ID token claim that binds the tokens to the request (CIBA §10.3.1). */
const AUTH_REQ_ID_CLAIM = 'urn:openid:params:jwt:claim:auth_req_id';

/** OIDC Core §3.1.3.6 for ES256: base64url of the left half of the SHA-256 of the access token. */
function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/**
 * The ping and push flows, black-box through the public API of a running stack, with a real
 * HTTPS receiver standing in for the clients' notification endpoints.
 */
export class NotificationFlows {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    readonly api: BackchannelApi,
    readonly endpoints: NotificationEndpoints,
  ) {
    this.jwks = createRemoteJWKSet(new URL(`${api.baseUrl}/jwks`));
  }

  /** A new client whose endpoint answers `replies` in order, then 204. */
  async registerClient(mode: NotificationMode, ...replies: ReceiverReply[]): Promise<NotifiedClient> {
    const endpoint = this.endpoints.endpoint(...replies);
    const name = `E2E ${mode} client ${randomBytes(4).toString('hex')}`;
    const client = await this.api.registerClient({
      client_name: name,
      backchannel_token_delivery_mode: mode,
      backchannel_client_notification_endpoint: endpoint.url,
    });
    return { ...client, name, mode, endpoint };
  }

  /** A new user with a device, and a request for their consent with a fresh client_notification_token. */
  async startRequest(client: NotifiedClient, extra: Record<string, string> = {}): Promise<StartedRequest> {
    const user = await this.api.createUserWithDevice();
    const notificationToken = randomBytes(32).toString('base64url');
    const ack = await this.api.bcAuthorize(client, {
      scope: 'openid profile',
      login_hint: user.email,
      client_notification_token: notificationToken,
      ...extra,
    });
    expect(ack.status).toBe(200);
    // CIBA §7.3: interval is for clients that poll; a push client never does.
    if (client.mode === 'push') expect(ack.body).not.toHaveProperty('interval');
    else expect(ack.body.interval).toBe(1);
    return {
      client,
      user,
      authReqId: String(ack.body.auth_req_id),
      notificationToken,
      expiresIn: Number(ack.body.expires_in),
    };
  }

  /** The user approves or denies on their device once the request shows there. */
  async decide(request: StartedRequest, decision: 'approve' | 'deny'): Promise<void> {
    const onDevice = await this.api.pendingOnDevice(request.user, request.client.name);
    expect((await this.api.decide(request.user, onDevice.request_id, { decision })).status).toBe(204);
  }

  /**
   * A whole flow up to the endpoint: a new client whose endpoint answers `replies`, a request, the
   * user's decision, and the first `calls` calls to the endpoint.
   */
  async decidedAndCalled(
    mode: NotificationMode,
    decision: 'approve' | 'deny',
    { replies = [], calls = 1 }: { replies?: ReceiverReply[]; calls?: number } = {},
  ): Promise<{ client: NotifiedClient; request: StartedRequest; calls: ReceivedRequest[] }> {
    const client = await this.registerClient(mode, ...replies);
    const request = await this.startRequest(client);
    await this.decide(request, decision);
    return { client, request, calls: await client.endpoint.waitForCalls(calls) };
  }

  /** Waits a few retry periods and checks the endpoint was called exactly `count` times. */
  async expectCallsAfterQuietPeriod(client: NotifiedClient, count: number): Promise<void> {
    await sleep(QUIET_PERIOD_MS);
    expect(client.endpoint.received()).toHaveLength(count);
  }

  /** /token hands a ping client its tokens. */
  async expectTokens(request: StartedRequest): Promise<Record<string, unknown>> {
    const tokens = await this.api.token(request.client, request.authReqId);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile' });
    return tokens.body;
  }

  /** Verifies a token's signature against the published JWKS, its issuer and audience. */
  async verify(token: string, audience: string, typ?: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(token, this.jwks, {
      issuer: this.api.baseUrl,
      audience,
      typ,
    });
    expect(protectedHeader.alg).toBe('ES256'); // at_hash below is computed with SHA-256
    return payload;
  }
}

/** A notification request as CIBA wants it: POST, JSON, `Authorization: Bearer <client_notification_token>`. */
export function expectNotificationRequest(received: ReceivedRequest, request: StartedRequest): void {
  expect({ method: received.method, path: received.path }).toEqual({
    method: 'POST',
    path: request.client.endpoint.path,
  });
  expect(received.headers.authorization).toBe(`Bearer ${request.notificationToken}`);
  expect(received.headers['content-type']).toMatch(/^application\/json(;|$)/);
}

/** A ping (CIBA §10.2): the body is exactly `{"auth_req_id": ...}`. */
export function expectPing(received: ReceivedRequest, request: StartedRequest): void {
  expectNotificationRequest(received, request);
  expect(received.json).toEqual({ auth_req_id: request.authReqId });
}

/** A push error (CIBA §12): auth_req_id, the error and at most a description. */
export function expectPushError(received: ReceivedRequest, request: StartedRequest, error: string): void {
  expectNotificationRequest(received, request);
  expect(received.json).toMatchObject({ auth_req_id: request.authReqId, error });
  expect(['auth_req_id', 'error', 'error_description']).toEqual(
    expect.arrayContaining(Object.keys(received.json as object)),
  );
}

/** Ping happy path: the client may poll first; one ping after approval; then /token gives tokens. */
export async function pingApproved(flows: NotificationFlows): Promise<StartedRequest> {
  const client = await flows.registerClient('ping');
  const request = await flows.startRequest(client);
  const polledAt = Date.now();
  expectOAuthError(await flows.api.token(client, request.authReqId), 400, 'authorization_pending');

  await flows.decide(request, 'approve');
  const [ping] = await client.endpoint.waitForCalls(1);
  expectPing(ping, request);

  await sleep(Math.max(0, polledAt + 1_100 - Date.now())); // the poll interval is 1 s
  const tokens = await flows.expectTokens(request);
  // a retry within the window (as after a lost response) is answered the same tokens, not new ones
  expect((await flows.api.token(client, request.authReqId)).body).toEqual(tokens);
  await flows.expectCallsAfterQuietPeriod(client, 1);
  return request;
}

/** Push happy path: the tokens arrive at the endpoint, the ID token binds them to the request. */
export async function pushApproved(flows: NotificationFlows): Promise<void> {
  const {
    client,
    request,
    calls: [push],
  } = await flows.decidedAndCalled('push', 'approve');
  expectNotificationRequest(push, request);
  const body = push.json as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual([
    'access_token',
    'auth_req_id',
    'expires_in',
    'id_token',
    'scope',
    'token_type',
  ]);
  expect(body).toMatchObject({ auth_req_id: request.authReqId, token_type: 'Bearer', scope: 'openid profile' });
  expect(body.expires_in).toEqual(expect.any(Number));
  expect(body.expires_in).toBeGreaterThan(0);

  const accessToken = String(body.access_token);
  const idToken = await flows.verify(String(body.id_token), client.clientId);
  expect(idToken).toMatchObject({
    sub: request.user.sub,
    [AUTH_REQ_ID_CLAIM]: request.authReqId,
    at_hash: atHash(accessToken),
  });
  const access = await flows.verify(accessToken, flows.api.baseUrl, 'at+jwt');
  expect(access).toMatchObject({ sub: request.user.sub, client_id: client.clientId, scope: 'openid profile' });

  // push clients never redeem at the token endpoint (CIBA §11)
  expectOAuthError(await flows.api.token(client, request.authReqId), 400, 'unauthorized_client');
  await flows.expectCallsAfterQuietPeriod(client, 1);
}
