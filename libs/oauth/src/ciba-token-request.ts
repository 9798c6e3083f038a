import { UnsupportedGrantType } from './oauth-errors.js';
import { requiredParameter, type FormParameters } from './form-parameters.js';

export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

export interface CibaTokenRequest {
  authReqId: string;
}

/** Checks grant_type (missing -> InvalidRequest, other than CIBA -> UnsupportedGrantType) and auth_req_id (missing -> InvalidRequest). */
export function parseCibaTokenRequest(params: FormParameters): CibaTokenRequest {
  if (requiredParameter(params, 'grant_type') !== CIBA_GRANT_TYPE) {
    throw new UnsupportedGrantType('The grant_type is not supported by this endpoint.');
  }
  return { authReqId: requiredParameter(params, 'auth_req_id') };
}
