import { UnsupportedGrantType } from './oauth-errors.js';
import { requiredParameter, type FormParameters } from './form-parameters.js';
import { parseScope } from './scope-parameter.js';

export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
export const REFRESH_TOKEN_GRANT_TYPE = 'refresh_token';

/** A token request (RFC 6749 §3.2) by grant: the CIBA grant (CIBA §10.1) or a refresh (RFC 6749 §6). */
export type TokenRequest =
  | { grantType: typeof CIBA_GRANT_TYPE; authReqId: string }
  | {
      grantType: typeof REFRESH_TOKEN_GRANT_TYPE;
      refreshToken: string;
      /** A narrower scope than the one granted, or null for the same. */
      scope: string[] | null;
    };

/**
 * Checks grant_type (missing -> InvalidRequest, another -> UnsupportedGrantType) and the grant's
 * own parameters (missing -> InvalidRequest, malformed scope -> InvalidScope).
 */
export function parseTokenRequest(params: FormParameters): TokenRequest {
  const grantType = requiredParameter(params, 'grant_type');
  switch (grantType) {
    case CIBA_GRANT_TYPE:
      return { grantType, authReqId: requiredParameter(params, 'auth_req_id') };
    case REFRESH_TOKEN_GRANT_TYPE: {
      const scope = params.get('scope');
      const refreshToken = requiredParameter(params, 'refresh_token');
      return { grantType, refreshToken, scope: scope === undefined ? null : parseScope(scope) };
    }
    default:
      throw new UnsupportedGrantType('The grant_type is not supported by this endpoint.');
  }
}
