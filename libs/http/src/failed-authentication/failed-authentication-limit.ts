import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { TooManyRequests } from '@backchannel/oauth';
import { clientAddressKey } from '../client-address.js';
import { type AuthenticationSurface, AuthenticationFailuresRepository } from './authentication-failures.repository.js';
import { type FailureBudget, secondsRefused } from './failure-window.js';

/**
 * Credential guessing at the admin and device APIs, slowed down per client address (the one
 * X-Forwarded-For names when a trusted proxy sent it, see TrustedProxies): an address that spent
 * its budget of failures is refused with 429 until its window ends, whatever its credential, so
 * guessing stops and nothing is learnt from a refused guess. Other addresses are
 * not affected, and a success resets nothing (an attacker behind the same address as a legitimate
 * caller could otherwise keep its own count down).
 */
@Injectable()
export class FailedAuthenticationLimit {
  private readonly budget: FailureBudget;

  constructor(
    private readonly failures: AuthenticationFailuresRepository,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.budget = config.abuseLimits.failedAuthentications;
  }

  /**
   * What `authenticate` found for the request's credential, or null when it found nothing (a
   * failure, counted against the address); TooManyRequests when the address may not try yet.
   * `authenticate` only looks (it changes nothing): it runs beside the read of the address's window.
   */
  async authenticate<T>(
    request: FastifyRequest,
    surface: AuthenticationSurface,
    authenticate: () => T | null | Promise<T | null>,
    now: Date = new Date(),
  ): Promise<T | null> {
    // a request without a peer address (its connection already gone) is counted as one address
    const address = clientAddressKey(request.ip) ?? 'unknown';
    const window = this.failures.windowOf(address, surface);
    // looked up beside the window's read (one round trip, pipelined); answered only if the address may try
    const lookup = (async () => authenticate())();
    lookup.catch(() => undefined);
    const wait = secondsRefused(await window, this.budget, now);
    if (wait !== null) {
      throw new TooManyRequests('Too many failed authentications from this address; try again later.', wait);
    }
    const authenticated = await lookup;
    if (authenticated === null) await this.failures.recordFailure(address, surface, this.budget.windowSeconds, now);
    return authenticated;
  }
}
