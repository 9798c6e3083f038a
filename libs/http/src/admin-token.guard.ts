import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { B64TOKEN } from '@backchannel/oauth';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The admin API takes `Authorization: Bearer <BACKCHANNEL_ADMIN_TOKEN>`, compared in constant time;
 * a process without an admin token refuses every call.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  /** Null when this process was given no admin token: nothing is admitted. */
  private readonly expected: Buffer | null;

  constructor(@Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig) {
    this.expected = config.adminToken === null ? null : digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = bearerToken(request.headers.authorization);
    if (token === null || this.expected === null || !timingSafeEqual(digest(token), this.expected)) {
      throw new UnauthorizedException('A valid admin bearer token is required.');
    }
    return true;
  }
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  const token = match?.[1];
  return token !== undefined && B64TOKEN.test(token) ? token : null;
}
