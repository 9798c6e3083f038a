import { Injectable } from '@nestjs/common';
import { ClientAuthenticator } from '@backchannel/clients';
import type { OAuthFormRequest } from '@backchannel/http';
import { RefreshTokens } from '../token-minting/refresh-tokens.repository.js';
import { IssuedTokens } from './issued-tokens.js';
import { presentedToken } from './presented-token.js';

/**
 * Token revocation (RFC 7009). A client revokes only its own tokens: a refresh token revokes its
 * whole family (every refresh token and every access token issued with them), an access token
 * itself. The answer is the same 200 whatever the token was (§2.2): unknown, expired, another
 * client's or revoked already, so a caller learns nothing about tokens it does not hold.
 */
@Injectable()
export class TokenRevocationHandler {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly issued: IssuedTokens,
    private readonly refreshTokens: RefreshTokens,
  ) {}

  async handle(input: OAuthFormRequest): Promise<void> {
    const client = await this.clients.authenticate(input);
    const { token, hint } = presentedToken(input.params);
    const found = await this.issued.identify(token, hint, input.now);
    if (found?.kind === 'refresh_token' && found.stored.family.clientId === client.clientId) {
      await this.refreshTokens.revokeFamilies(
        { familyId: found.stored.family.familyId },
        'revoked_by_client',
        input.now,
      );
    }
    if (found?.kind === 'access_token' && found.claims.client_id === client.clientId) {
      await this.refreshTokens.revokeAccessToken(found.claims.jti, new Date(found.claims.exp * 1000));
    }
  }
}
