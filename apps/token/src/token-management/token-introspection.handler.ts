import { Injectable } from '@nestjs/common';
import { ClientAuthenticator } from '@backchannel/clients';
import type { OAuthFormRequest } from '@backchannel/http';
import { IssuedTokens } from './issued-tokens.js';
import { presentedToken } from './presented-token.js';

/** RFC 7662 §2.2: `active`, and for an active token what a resource server needs to decide. */
export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: IntrospectionResponse = { active: false };

/**
 * Token introspection (RFC 7662) for authenticated clients, e.g. a resource server registered as
 * a client. An access token is active until it expires or is revoked (itself or its refresh
 * token's family); a refresh token while it can be exchanged, and only its own client learns
 * that (a resource server has no business with refresh tokens). Anything else is `active: false`.
 */
@Injectable()
export class TokenIntrospectionHandler {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly issued: IssuedTokens,
  ) {}

  async handle(input: OAuthFormRequest): Promise<IntrospectionResponse> {
    const client = await this.clients.authenticate(input);
    const { token, hint } = presentedToken(input.params);
    const found = await this.issued.identify(token, hint, input.now);
    if (found === null) return INACTIVE;
    if (found.kind === 'access_token') {
      if (!found.usable) return INACTIVE;
      const { cnf, ...claims } = found.claims;
      return {
        active: true,
        ...claims,
        token_type: cnf && 'jkt' in cnf ? 'DPoP' : 'Bearer',
        ...(cnf && { cnf }),
      };
    }
    const { stored } = found;
    if (stored.family.clientId !== client.clientId || !found.usable) return INACTIVE;
    return {
      active: true,
      client_id: stored.family.clientId,
      sub: stored.family.subject,
      scope: stored.family.scope.join(' '),
      exp: epochSeconds(stored.expiresAt),
      ...(stored.family.confirmation && { cnf: stored.family.confirmation }),
    };
  }
}

function epochSeconds(instant: Date): number {
  return Math.floor(instant.getTime() / 1000);
}
