import type { ExecutionContext } from '@nestjs/common';
import { UnauthorizedException } from '@nestjs/common';
import type { BackchannelConfig } from '@backchannel/config';
import { AdminTokenGuard } from './admin-token.guard.js';

const ADMIN_TOKEN = 'admin-token-of-the-guard-spec-0123456789';

function callWith(authorization: string | undefined): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

/** The guard reads the admin token only. */
const configWith = (adminToken: string | null) => ({ adminToken }) as BackchannelConfig;

describe('AdminTokenGuard', () => {
  it('admits the admin token only, as a bearer credential', () => {
    const guard = new AdminTokenGuard(configWith(ADMIN_TOKEN));
    expect(guard.canActivate(callWith(`Bearer ${ADMIN_TOKEN}`))).toBe(true);
    expect(guard.canActivate(callWith(`bearer ${ADMIN_TOKEN}`))).toBe(true);
    for (const refused of [undefined, `Bearer ${ADMIN_TOKEN}x`, `Basic ${ADMIN_TOKEN}`, 'Bearer ']) {
      expect(() => guard.canActivate(callWith(refused))).toThrow(UnauthorizedException);
    }
  });

  it('refuses everything in a process given no admin token (a service without an admin API)', () => {
    const guard = new AdminTokenGuard(configWith(null));
    expect(() => guard.canActivate(callWith(`Bearer ${ADMIN_TOKEN}`))).toThrow(UnauthorizedException);
  });
});
