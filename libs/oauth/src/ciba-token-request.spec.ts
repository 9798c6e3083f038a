import { InvalidRequest, UnsupportedGrantType } from './oauth-errors.js';
import { parseFormBody } from './form-parameters.js';
import { CIBA_GRANT_TYPE, parseCibaTokenRequest } from './ciba-token-request.js';

const grantType = `grant_type=${encodeURIComponent(CIBA_GRANT_TYPE)}`;

describe('parseCibaTokenRequest', () => {
  it('returns the auth_req_id of a CIBA grant', () => {
    expect(parseCibaTokenRequest(parseFormBody(`${grantType}&auth_req_id=abc-_.123&extra=x`))).toEqual({
      authReqId: 'abc-_.123',
    });
  });

  it('refuses a missing grant_type with invalid_request', () => {
    expect(() => parseCibaTokenRequest(parseFormBody('auth_req_id=abc'))).toThrow(InvalidRequest);
  });

  it('refuses another grant type with unsupported_grant_type', () => {
    expect(() => parseCibaTokenRequest(parseFormBody('grant_type=authorization_code&auth_req_id=abc'))).toThrow(
      UnsupportedGrantType,
    );
  });

  it('refuses a missing auth_req_id with invalid_request', () => {
    expect(() => parseCibaTokenRequest(parseFormBody(grantType))).toThrow(
      new InvalidRequest('The auth_req_id parameter is required.'),
    );
  });
});
