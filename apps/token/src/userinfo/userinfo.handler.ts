import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { USERINFO_CLAIMS_CLAIM } from '@backchannel/crypto';
import { UserDirectory, type UserinfoClaims, userinfoClaims } from '@backchannel/directory';
import { InsufficientScope, InvalidToken } from '@backchannel/oauth';
import { type ResourceRequest, SenderConstraints } from '../sender-constraint/sender-constraints.js';
import { IssuedTokens, accessTokenIsFor } from '../token-management/issued-tokens.js';

/** The Authorization header of a resource request: RFC 6750 §2.1 Bearer, or RFC 9449 §7.1 DPoP. */
const AUTHORIZATION = /^(Bearer|DPoP) ([\w~+/.-]+=*)$/i;

/** One answer to every unusable token, so none tells an expired token from a forged or revoked one. */
const UNUSABLE = 'The access token is invalid, expired or revoked.';

/**
 * The userinfo endpoint (OIDC Core §5.3): the claims of the token's user that its scopes grant, and
 * those the claims parameter asked for here. The token must be one of ours, for this resource (its
 * audience holds the issuer), unexpired and unrevoked, granted `openid`, and presented by its
 * holder when it is bound (SenderConstraints decides).
 */
@Injectable()
export class UserinfoHandler {
  private readonly issuer: string;

  constructor(
    private readonly issued: IssuedTokens,
    private readonly senderConstraints: SenderConstraints,
    private readonly users: UserDirectory,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.issuer = config.issuer;
  }

  async handle(request: Omit<ResourceRequest, 'accessToken' | 'scheme'> & { authorization: string | undefined }) {
    const presented = AUTHORIZATION.exec(request.authorization ?? '');
    if (presented === null) throw new InvalidToken('An access token is required, in the Authorization header.');
    const scheme = presented[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const accessToken = presented[2]!;

    const found = await this.issued.identify(accessToken, 'access_token', request.now);
    if (found?.kind !== 'access_token' || !found.usable) throw new InvalidToken(UNUSABLE);
    const { claims } = found;
    // RFC 8707: a token for other resources only is not for userinfo
    if (!accessTokenIsFor(claims, this.issuer)) throw new InvalidToken(UNUSABLE);
    await this.senderConstraints.assertPresentedByHolder(claims.cnf ?? null, { ...request, accessToken, scheme });
    const scopes = claims.scope.split(' ');
    if (!scopes.includes('openid')) throw new InsufficientScope('The access token was not granted the openid scope.');
    // a user removed since the token was issued has no claims to give
    const user = await this.users.findBySubject(claims.sub);
    if (user === null) throw new InvalidToken(UNUSABLE);
    return userinfoClaims(user, scopes, claims[USERINFO_CLAIMS_CLAIM] ?? []) satisfies UserinfoClaims;
  }
}
