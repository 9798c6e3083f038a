import { freePort } from '@backchannel/testing';
import { BackchannelApi } from './support/backchannel-api.js';
import { type RunningStack, startEmbeddedStack } from './support/stacks.js';

/**
 * The admin API and console on a listener of their own (ADMIN_PORT), as production has by
 * default: the public port answers them 404, the admin port answers nothing else (probes aside).
 */
describe('the admin listener (npm start with ADMIN_PORT)', () => {
  let stack: RunningStack;
  let adminUrl: string;

  beforeAll(async () => {
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    stack = await startEmbeddedStack({ env: { ADMIN_PORT: String(adminPort) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const admin = () => ({ authorization: `Bearer ${stack.adminToken}` });

  it('serves the admin API and console on the admin port only', async () => {
    const created = await fetch(`${adminUrl}/admin/v1/users`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'admin-listener-user' }),
    });
    expect(created.status).toBe(201);
    expect((await fetch(`${adminUrl}/admin/console`)).status).toBe(200);

    for (const path of ['/admin/v1/users/admin-listener-user', '/admin/console', '/admin']) {
      const onPublic = await fetch(`${stack.baseUrl}${path}`, { headers: admin() });
      expect({ path, status: onPublic.status }).toEqual({ path, status: 404 });
      expect(await onPublic.json()).toEqual({ error: 'not_found', error_description: 'The resource does not exist.' });
      expect(onPublic.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves the public endpoints on the public port only, and the probes on both', async () => {
    const api = new BackchannelApi(stack);
    expect((await api.get('/.well-known/openid-configuration')).status).toBe(200);
    expect((await fetch(`${adminUrl}/.well-known/openid-configuration`)).status).toBe(404);
    const token = await fetch(`${adminUrl}/token`, { method: 'POST' });
    expect(token.status).toBe(404);
    expect((await fetch(`${adminUrl}/health/ready`)).status).toBe(200);
    expect((await api.get('/health/ready')).status).toBe(200);
  });

  it('says where the admin API listens, and does not warn that it is public', () => {
    expect(stack.logs()).toContain(`admin API and console on ${adminUrl} only`);
    expect(stack.logs()).not.toContain('the admin API and console are served on the public port');
  });
});
