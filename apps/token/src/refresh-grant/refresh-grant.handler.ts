import { Injectable, Logger } from '@nestjs/common';
import { ClientAuthenticator, type RegisteredClient, receivesRefreshTokens } from '@backchannel/clients';
import { UserDirectory } from '@backchannel/directory';
import { type AuthorizationDetail, accessTokenType } from '@backchannel/events';
import type { OAuthFormRequest } from '@backchannel/http';
import {
  InvalidGrant,
  InvalidScope,
  REFRESH_TOKEN_GRANT_TYPE,
  UnauthorizedClient,
  UnsupportedGrantType,
  parseTokenRequest,
} from '@backchannel/oauth';
import { SenderConstraints } from '../sender-constraint/sender-constraints.js';
import { TokenMinter } from '../token-minting/token-minter.js';
import {
  type RefreshTokenFamily,
  RefreshTokens,
  type StoredRefreshToken,
  refreshTokenActive,
} from '../token-minting/refresh-tokens.repository.js';

/** What a refresh answers (RFC 6749 §5.1): a new access token and the refresh token that replaces the one used. */
export interface RefreshResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  refresh_token: string;
  scope: string;
  /** RFC 9396 §7: the authorization details the family grants. */
  authorization_details?: AuthorizationDetail[];
}

/** One answer to every refused refresh token, so none reveals whether it exists, was used or is another client's. */
const REFUSED = 'The refresh token is invalid, expired, revoked, or was issued to another client.';

/**
 * The refresh_token grant (RFC 6749 §6) with rotation: each refresh token is used once and
 * answered with the next of its family. A second use of any of them (a stolen copy raced the
 * client, or the client's was stolen and used first) revokes the family, so whichever party
 * holds the newest token loses it too and the user's consent has to be asked again.
 * A refresh token is the client's alone and bound to the same certificate or DPoP key as its access tokens.
 */
@Injectable()
export class RefreshGrantHandler {
  private readonly logger = new Logger(RefreshGrantHandler.name);

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly refreshTokens: RefreshTokens,
    private readonly minter: TokenMinter,
    private readonly senderConstraints: SenderConstraints,
    private readonly users: UserDirectory,
  ) {}

  async handle(input: OAuthFormRequest): Promise<RefreshResponse> {
    const client = await this.clients.authenticate(input);
    if (!receivesRefreshTokens(client)) {
      throw new UnauthorizedClient('The client is not registered for the refresh_token grant.');
    }
    const grant = parseTokenRequest(input.params);
    if (grant.grantType !== REFRESH_TOKEN_GRANT_TYPE)
      throw new UnsupportedGrantType('The grant_type is not refresh_token.');
    const { refreshToken, scope, resources } = grant;
    const stored = await this.refreshTokens.find(refreshToken);
    const family = await this.usableFamily(stored, client, input);
    const grantedScope = narrowed(family.scope, scope);

    const minted = await this.minter.mintAccessToken({ ...family, scope: grantedScope }, input.now, { resources });
    const next = this.minter.newRefreshToken(minted, family.expiresAt, input.now);
    if (!(await this.refreshTokens.rotate(refreshToken, family.familyId, next))) {
      // used by a concurrent request since it was read: a replay as much as a later one
      await this.revokeOnReuse(family, input.now);
      throw new InvalidGrant(REFUSED);
    }
    return {
      access_token: minted.accessToken,
      token_type: accessTokenType(family.confirmation),
      expires_in: Math.round((minted.expiresAt.getTime() - input.now.getTime()) / 1000),
      refresh_token: next.token,
      scope: grantedScope.join(' '),
      ...(family.authorizationDetails && { authorization_details: family.authorizationDetails }),
    };
  }

  /** The family of a refresh token this client may use now, from this connection; else invalid_grant. */
  private async usableFamily(
    stored: StoredRefreshToken | null,
    client: RegisteredClient,
    input: OAuthFormRequest,
  ): Promise<RefreshTokenFamily> {
    // another client's token is refused without touching it: a client must not revoke another's tokens
    if (stored === null || stored.family.clientId !== client.clientId) throw new InvalidGrant(REFUSED);
    const { family } = stored;
    if (stored.usedAt !== null && family.revokedAt === null) await this.revokeOnReuse(family, input.now);
    if (!refreshTokenActive(stored, input.now)) throw new InvalidGrant(REFUSED);
    // a user an administrator disabled (the family stays, for if they are enabled) or deleted is not refreshed for
    if (!(await this.users.isEnabled(family.subject))) throw new InvalidGrant(REFUSED);
    if (!(await this.senderConstraints.presentedBy(family.confirmation, input))) throw new InvalidGrant(REFUSED);
    return family;
  }

  private async revokeOnReuse(family: RefreshTokenFamily, now: Date): Promise<void> {
    await this.refreshTokens.revokeFamilies({ familyId: family.familyId }, 'reuse_detected', now);
    this.logger.warn(`refresh token reused: family ${family.familyId} of client ${family.clientId} revoked`);
  }
}

/** RFC 6749 §6: a refresh may ask for less than was granted, never for more. */
function narrowed(granted: string[], requested: string[] | null): string[] {
  if (requested === null) return granted;
  if (requested.length === 0 || !requested.every((scope) => granted.includes(scope))) {
    throw new InvalidScope('The requested scope exceeds the scope granted with the refresh token.');
  }
  return requested;
}
