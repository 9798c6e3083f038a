import { randomBytes } from 'node:crypto';
import { Controller, Get, Module, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { TEST_ADMIN_TOKEN, freePort, testConfig } from '@backchannel/testing';
import { AdminTokenGuard } from '../admin-token.guard.js';
import { HttpModule } from '../http.module.js';
import { startHttpService } from '../run-service.js';
import { FailedAuthenticationLimit } from './failed-authentication-limit.js';

const BUDGET = 3;

/** A guarded admin route, and a device-like surface with its own count ("good" is its one credential). */
@Controller('probe')
class ProbeController {
  constructor(private readonly limit: FailedAuthenticationLimit) {}

  @Get('admin')
  @UseGuards(AdminTokenGuard)
  admin(): { ok: true } {
    return { ok: true };
  }

  @Get('device')
  async device(@Req() request: FastifyRequest): Promise<{ ok: true }> {
    const admitted = await this.limit.authenticate(request, 'device', () =>
      request.headers.authorization === 'good' ? true : null,
    );
    if (admitted === null) throw new UnauthorizedException('A valid device credential is required.');
    return { ok: true };
  }
}

@Module({ imports: [HttpModule], controllers: [ProbeController] })
class ProbeModule {}

/** An address of its own for each use (the database is shared with other tests and earlier runs). */
const freshAddress = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::7`;

/**
 * The limit on failed authentications, on the real PostgreSQL, through two instances of a service
 * sharing it (two replicas): counted per client address (as the trusted proxy in front names it)
 * and per surface, in one window across both, refused with 429 before the credential is checked.
 */
describe('failed authentications', () => {
  const instances: NestFastifyApplication[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const { app } = await startHttpService(
        { service: 'backchannel', features: [ProbeModule] },
        testConfig({
          PORT: String(port),
          HOST: '127.0.0.1',
          // this test is the proxy in front of both: it names the client in X-Forwarded-For
          TRUSTED_PROXIES: '127.0.0.1/32',
          FAILED_AUTHENTICATION_BUDGET: String(BUDGET),
          FAILED_AUTHENTICATION_WINDOW_SECONDS: '600',
        }),
      );
      instances.push(app);
      urls.push(`http://127.0.0.1:${port}`);
    }
  });

  afterAll(async () => {
    await Promise.all(instances.map((app) => app.close()));
  });

  const call = async (instance: number, path: string, from: string, authorization: string) => {
    const response = await fetch(`${urls[instance]}${path}`, {
      headers: { 'x-forwarded-for': from, authorization },
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
  };
  const admin = (instance: number, from: string, token: string) =>
    call(instance, '/probe/admin', from, `Bearer ${token}`);

  it('refuses an address that spent its budget across both instances, with 429 and Retry-After, even with the right token', async () => {
    const attacker = freshAddress();
    expect((await admin(0, attacker, 'wrong-token-1')).status).toBe(401);
    expect((await admin(1, attacker, 'wrong-token-2')).status).toBe(401);
    expect((await admin(0, attacker, 'wrong-token-3')).status).toBe(401);

    for (const instance of [0, 1]) {
      const refused = await admin(instance, attacker, TEST_ADMIN_TOKEN);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        error: 'too_many_requests',
        error_description: 'Too many failed authentications from this address; try again later.',
      });
      expect(refused.headers.get('cache-control')).toBe('no-store');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(590);
      expect(retryAfter).toBeLessThanOrEqual(600);
    }
  });

  it('leaves other addresses alone, and counts an IPv6 client by its /64', async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) expect((await admin(i % 2, attacker, `wrong-${i}`)).status).toBe(401);
    expect((await admin(0, attacker, TEST_ADMIN_TOKEN)).status).toBe(429);
    // another host of the same /64 is the same client
    expect((await admin(1, attacker.replace(/::7$/, '::8'), TEST_ADMIN_TOKEN)).status).toBe(429);

    const legitimate = freshAddress();
    expect((await admin(1, legitimate, TEST_ADMIN_TOKEN)).status).toBe(200);
    expect((await admin(0, '198.51.100.23', TEST_ADMIN_TOKEN)).status).toBe(200);
  });

  it('is not reset by a success from the same address', async () => {
    const shared = freshAddress();
    expect((await admin(0, shared, 'wrong-1')).status).toBe(401);
    expect((await admin(1, shared, 'wrong-2')).status).toBe(401);
    expect((await admin(0, shared, TEST_ADMIN_TOKEN)).status).toBe(200);
    expect((await admin(1, shared, 'wrong-3')).status).toBe(401);
    expect((await admin(0, shared, TEST_ADMIN_TOKEN)).status).toBe(429);
  });

  it('counts each surface apart: failures at the admin API do not refuse the device API', async () => {
    const address = freshAddress();
    for (let i = 0; i < BUDGET; i++) expect((await admin(0, address, `wrong-${i}`)).status).toBe(401);
    expect((await admin(1, address, TEST_ADMIN_TOKEN)).status).toBe(429);
    expect((await call(1, '/probe/device', address, 'good')).status).toBe(200);
    for (let i = 0; i < BUDGET; i++) expect((await call(i % 2, '/probe/device', address, 'bad')).status).toBe(401);
    expect((await call(0, '/probe/device', address, 'good')).status).toBe(429);
  });

  it('lets an address try again once its window has ended, in a new window', async () => {
    const limit = instances[0]!.get(FailedAuthenticationLimit);
    const request = { ip: freshAddress() } as FastifyRequest;
    const start = new Date();
    const later = (seconds: number) => new Date(start.getTime() + seconds * 1000);
    const fail = (at: Date) => limit.authenticate(request, 'admin', () => null, at);
    for (let i = 0; i < BUDGET; i++) await expect(fail(later(i))).resolves.toBeNull();
    await expect(fail(later(599))).rejects.toMatchObject({ status: 429, retryAfterSeconds: 1 });
    // the window opened with the first failure and lasts 600 s
    await expect(fail(later(600))).resolves.toBeNull();
    await expect(limit.authenticate(request, 'admin', () => true, later(601))).resolves.toBe(true);
  });
});
