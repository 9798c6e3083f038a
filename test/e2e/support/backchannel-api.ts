import { randomBytes } from 'node:crypto';
import { waitFor } from './service-process.js';
import type { RunningStack } from './stacks.js';

export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
}

export interface TestUser {
  sub: string;
  email: string;
  deviceToken: string;
}

/** How a test reaches the stack: the platform's fetch, or one that trusts the stack's test CA (TLS stacks). */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

async function call<T>(fetchFn: Fetch, url: string, init: RequestInit): Promise<HttpResult<T>> {
  const response = await fetchFn(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

export function basicAuth(client: TestClient): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
}

/** A black-box client of the public API: what a client app, a device and an admin would send. */
export class BackchannelApi {
  constructor(
    private readonly stack: Pick<RunningStack, 'baseUrl' | 'adminToken' | 'fetch'> & {
      /** Where the admin API listens when it has a listener of its own (ADMIN_PORT); else baseUrl. */
      adminBaseUrl?: string;
    },
  ) {}

  /** The admin API on its own listener when there is one, everything else at the public edge. */
  private urlOf(path: string): string {
    const admin = path.startsWith('/admin/') && this.stack.adminBaseUrl !== undefined;
    return `${admin ? this.stack.adminBaseUrl : this.stack.baseUrl}${path}`;
  }

  get baseUrl(): string {
    return this.stack.baseUrl;
  }

  private get fetch(): Fetch {
    return this.stack.fetch ?? fetch;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return call(this.fetch, this.urlOf(path), { headers });
  }

  postForm(
    path: string,
    form: string | Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> {
    const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    return call(this.fetch, this.urlOf(path), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
  }

  postJson<T = Record<string, unknown>>(
    path: string,
    json: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    return call<T>(this.fetch, this.urlOf(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(json),
    });
  }

  private admin(): Record<string, string> {
    return { authorization: `Bearer ${this.stack.adminToken}` };
  }

  async registerClient(metadata: Record<string, unknown> = {}): Promise<TestClient> {
    const response = await this.postJson(
      '/admin/v1/clients',
      {
        client_name: 'E2E client',
        grant_types: [CIBA_GRANT],
        scope: 'openid profile email',
        backchannel_token_delivery_mode: 'poll',
        ...metadata,
      },
      this.admin(),
    );
    if (response.status !== 201) throw new Error(`client registration failed: ${JSON.stringify(response.body)}`);
    return { clientId: String(response.body.client_id), clientSecret: String(response.body.client_secret) };
  }

  /** A client that authenticates with its keys (private_key_jwt): it is given no secret. */
  async registerKeyClient(metadata: Record<string, unknown>): Promise<{ clientId: string }> {
    const response = await this.postJson(
      '/admin/v1/clients',
      {
        grant_types: [CIBA_GRANT],
        scope: 'openid profile email',
        backchannel_token_delivery_mode: 'poll',
        token_endpoint_auth_method: 'private_key_jwt',
        ...metadata,
      },
      this.admin(),
    );
    if (response.status !== 201) throw new Error(`client registration failed: ${JSON.stringify(response.body)}`);
    if ('client_secret' in response.body) throw new Error('a key-based client was given a secret');
    return { clientId: String(response.body.client_id) };
  }

  /** A one-time code that enrols a device for the user in the built-in authenticator. */
  async createEnrolmentCode(subject: string): Promise<string> {
    const response = await call<{ enrolment_code: string }>(
      this.fetch,
      this.urlOf(`/admin/v1/users/${encodeURIComponent(subject)}/enrolments`),
      { method: 'POST', headers: this.admin() },
    );
    if (response.status !== 201) throw new Error(`enrolment code refused: ${JSON.stringify(response.body)}`);
    return response.body.enrolment_code;
  }

  getAdmin(path: string): Promise<HttpResult> {
    return this.get(path, this.admin());
  }

  /** An admin API merge patch (RFC 7396), with its own media type. */
  patchAdmin(path: string, patch: unknown): Promise<HttpResult> {
    return call(this.fetch, this.urlOf(path), {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', ...this.admin() },
      body: JSON.stringify(patch),
    });
  }

  deleteAdmin(path: string): Promise<HttpResult> {
    return call(this.fetch, this.urlOf(path), { method: 'DELETE', headers: this.admin() });
  }

  /** A new user without any device; unique per call so tests never share state. */
  async createUser(): Promise<{ sub: string; email: string }> {
    const sub = `user-${randomBytes(8).toString('hex')}`;
    const email = `${sub}@example.test`;
    const user = await this.postJson('/admin/v1/users', { sub, email, name: 'E2E User' }, this.admin());
    if (user.status !== 201) throw new Error(`user creation failed: ${JSON.stringify(user.body)}`);
    return { sub, email };
  }

  /** A new user with one device. */
  async createUserWithDevice(): Promise<TestUser> {
    const { sub, email } = await this.createUser();
    const device = await this.postJson(`/admin/v1/users/${sub}/devices`, { name: 'E2E phone' }, this.admin());
    if (device.status !== 201) throw new Error(`device registration failed: ${JSON.stringify(device.body)}`);
    return { sub, email, deviceToken: String(device.body.device_token) };
  }

  bcAuthorize(client: TestClient, params: Record<string, string>): Promise<HttpResult> {
    return this.postForm('/bc-authorize', params, { authorization: basicAuth(client) });
  }

  token(client: TestClient, authReqId: string): Promise<HttpResult> {
    return this.postForm(
      '/token',
      { grant_type: CIBA_GRANT, auth_req_id: authReqId },
      { authorization: basicAuth(client) },
    );
  }

  deviceRequests(user: TestUser): Promise<HttpResult<Record<string, unknown>[]>> {
    return call(this.fetch, `${this.stack.baseUrl}/device/v1/requests`, {
      headers: { authorization: `Bearer ${user.deviceToken}` },
    });
  }

  /** The clients the user blocked with "this wasn't me", as their device lists them. */
  deviceBlocks(user: TestUser): Promise<HttpResult<Record<string, string>[]>> {
    return call(this.fetch, `${this.stack.baseUrl}/device/v1/blocks`, {
      headers: { authorization: `Bearer ${user.deviceToken}` },
    });
  }

  liftBlock(user: TestUser, clientId: string): Promise<HttpResult<unknown>> {
    return call(this.fetch, `${this.stack.baseUrl}/device/v1/blocks/${encodeURIComponent(clientId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${user.deviceToken}` },
    });
  }

  /** The user's pending request from the named client (listed as soon as /bc-authorize answered). */
  pendingOnDevice(user: TestUser, clientName: string): Promise<Record<string, string>> {
    return waitFor('the request on the device', async () => {
      const list = await this.deviceRequests(user);
      return list.body.find((item) => item.client_name === clientName) as Record<string, string> | undefined;
    });
  }

  decide(user: TestUser, requestId: string, decision: Record<string, unknown>): Promise<HttpResult<unknown>> {
    return this.postJson(`/device/v1/requests/${requestId}/decision`, decision, {
      authorization: `Bearer ${user.deviceToken}`,
    });
  }
}
