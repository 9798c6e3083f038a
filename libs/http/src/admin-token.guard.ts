import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { B64TOKEN } from '@backchannel/oauth';
import { FailedAuthenticationLimit } from './failed-authentication/failed-authentication-limit.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The admin API takes `Authorization: Bearer <BACKCHANNEL_ADMIN_TOKEN>`, compared in constant time;
 * a process without an admin token admits nothing.
 */
export class AdminCredential {
  /** Null when this process was given no admin token: nothing is admitted. */
  private readonly expected: Buffer | null;

  constructor(adminToken: string | null) {
    this.expected = adminToken === null ? null : digest(adminToken);
  }

  admits(authorization: string | undefined): boolean {
    const token = bearerToken(authorization);
    return token !== null && this.expected !== null && timingSafeEqual(digest(token), this.expected);
  }
}

/** The admin API's guard: the admin credential, refused for a while to an address that keeps failing (FailedAuthenticationLimit). */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly credential: AdminCredential;

  constructor(
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
    private readonly limit: FailedAuthenticationLimit,
  ) {
    this.credential = new AdminCredential(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const admitted = await this.limit.authenticate(request, 'admin', () =>
      this.credential.admits(request.headers.authorization) ? true : null,
    );
    if (admitted === null) throw new UnauthorizedException('A valid admin bearer token is required.');
    return true;
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  const token = match?.[1];
  return token !== undefined && B64TOKEN.test(token) ? token : null;
}
