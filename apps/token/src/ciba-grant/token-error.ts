import type { AuthRequestRejection } from '@backchannel/auth-request';
import { AccessDenied, AuthorizationPending, ExpiredToken, InvalidGrant, type OAuthError } from '@backchannel/oauth';

/** The token endpoint's answer to each refusal of IssueTokens (CIBA §11). */
export function tokenError(rejection: AuthRequestRejection): OAuthError {
  switch (rejection.code) {
    case 'expired_token':
      return new ExpiredToken('The auth_req_id has expired: make a new authentication request.');
    case 'access_denied':
      return new AccessDenied('The end-user denied the authorization request.', 400);
    case 'authorization_pending':
      return new AuthorizationPending('The end-user has not yet approved or denied the request.');
    default:
      // unknown, another client's or already redeemed: one answer, so none reveals the others
      return new InvalidGrant('The auth_req_id is invalid, was issued to another client, or was already used.');
  }
}
