import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startHttpService } from '@backchannel/http';
import { type HttpsReceiver, freePort, startHttpsReceiver, testConfig } from '@backchannel/testing';
import { GatewayModule } from '../gateway.module.js';
import { registerGatewayRoutes } from './gateway-routes.js';

/**
 * The gateway forwards to the services over HTTPS in production: a service whose certificate this
 * process does not trust is never sent the request (the proxy library turns verification off
 * unless it is asked for).
 */
describe('the gateway towards its services', () => {
  let untrusted: HttpsReceiver;
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    // its CA is in no trust store of this process
    untrusted = await startHttpsReceiver({ responder: () => ({ status: 200, body: '{}' }) });
    const port = await freePort();
    const config = testConfig({
      PORT: String(port),
      BACKCHANNEL_URL: untrusted.url(),
      TOKEN_URL: untrusted.url(),
      APPROVALS_URL: untrusted.url(),
    });
    ({ app } = await startHttpService(
      {
        service: 'gateway',
        features: [GatewayModule],
        beforeListen: (started, loaded) => registerGatewayRoutes(started.getHttpAdapter().getInstance(), loaded),
      },
      config,
    ));
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app?.close();
    await untrusted?.close();
  });

  it('refuses a service whose certificate it cannot verify: 503, nothing sent, the reason logged', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn');

    const response = await fetch(`${baseUrl}/bc-authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=openid&login_hint=alice',
    });

    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(untrusted.requests).toHaveLength(0);
    const logged = warnings.mock.calls.map(([message]) => String(message)).join('\n');
    expect(logged).toMatch(/backchannel at https:\/\/localhost:\d+ unreachable .*(CERT|SELF_SIGNED|UNABLE_TO_VERIFY)/);
  });
});
