import { UnsupportedGrantType } from './oauth-errors.js';
import { requiredParameter, type FormParameters } from './form-parameters.js';
import { parseScope } from './scope-parameter.js';
import { parseResources } from './resource-parameter.js';

const resourcesOf = (params: FormParameters) => parseResources(params.get('resource'));

export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';
export const REFRESH_TOKEN_GRANT_TYPE = 'refresh_token';

/** A token request (RFC 6749 §3.2) by grant: the CIBA grant (CIBA §10.1) or a refresh (RFC 6749 §6). */
export type TokenRequest = (
  | { grantType: typeof CIBA_GRANT_TYPE; authReqId: string }
  | {
      grantType: typeof REFRESH_TOKEN_GRANT_TYPE;
      refreshToken: string;
      /** A narrower scope than the one granted, or null for the same. */
      scope: string[] | null;
    }
) & {
  /** RFC 8707 §2.2: the resources to narrow the access token's audience to (empty: all granted). */
  resources: string[];
};

/**
 * Checks grant_type (missing -> InvalidRequest, another -> UnsupportedGrantType) and the grant's
 * own parameters (missing -> InvalidRequest, malformed scope -> InvalidScope, malformed resource
 * -> InvalidTarget).
 */
export function parseTokenRequest(params: FormParameters): TokenRequest {
  const grantType = requiredParameter(params, 'grant_type');
  switch (grantType) {
    case CIBA_GRANT_TYPE:
      return { grantType, authReqId: requiredParameter(params, 'auth_req_id'), resources: resourcesOf(params) };
    case REFRESH_TOKEN_GRANT_TYPE: {
      const scope = params.get('scope');
      const refreshToken = requiredParameter(params, 'refresh_token');
      const narrowedScope = scope === undefined ? null : parseScope(scope);
      return { grantType, refreshToken, scope: narrowedScope, resources: resourcesOf(params) };
    }
    default:
      throw new UnsupportedGrantType('The grant_type is not supported by this endpoint.');
  }
}
