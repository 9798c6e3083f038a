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
    // unknown, another client's or already redeemed: one answer, so none reveals the others
    case 'invalid_grant':
    case 'already_exists':
    case 'not_found':
    case 'already_decided':
    case 'expired':
    case 'invalid_scope':
    case 'not_due':
    case 'insufficient_authentication':
      return new InvalidGrant('The auth_req_id is invalid, was issued to another client, or was already used.');
    default: {
      const unexpected: never = rejection.code;
      throw new Error(`unexpected rejection ${String(unexpected)}`);
    }
  }
}
