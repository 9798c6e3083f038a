import { InvalidRequest, InvalidScope, InvalidTarget, UnsupportedGrantType } from './oauth-errors.js';
import { parseFormBody } from './form-parameters.js';
import { CIBA_GRANT_TYPE, parseTokenRequest } from './token-request.js';

const grantType = `grant_type=${encodeURIComponent(CIBA_GRANT_TYPE)}`;

describe('parseTokenRequest', () => {
  it('returns the auth_req_id of a CIBA grant', () => {
    expect(parseTokenRequest(parseFormBody(`${grantType}&auth_req_id=abc-_.123&extra=x`))).toEqual({
      grantType: CIBA_GRANT_TYPE,
      authReqId: 'abc-_.123',
      resources: [],
    });
  });

  it('returns the resources a token request narrows the audience to (RFC 8707 §2.2), repeated or not', () => {
    const body = `${grantType}&auth_req_id=a&resource=https%3A%2F%2Fa.example%2F&resource=urn%3Ab`;
    expect(parseTokenRequest(parseFormBody(body)).resources).toEqual(['https://a.example/', 'urn:b']);
    expect(() => parseTokenRequest(parseFormBody(`${grantType}&auth_req_id=a&resource=%2Frelative`))).toThrow(
      InvalidTarget,
    );
  });

  it('returns the refresh token and the narrower scope of a refresh', () => {
    expect(parseTokenRequest(parseFormBody('grant_type=refresh_token&refresh_token=rt&scope=openid+email'))).toEqual({
      grantType: 'refresh_token',
      refreshToken: 'rt',
      scope: ['openid', 'email'],
      resources: [],
    });
    expect(parseTokenRequest(parseFormBody('grant_type=refresh_token&refresh_token=rt'))).toMatchObject({
      scope: null,
    });
  });

  it('refuses a missing grant_type with invalid_request', () => {
    expect(() => parseTokenRequest(parseFormBody('auth_req_id=abc'))).toThrow(InvalidRequest);
  });

  it('refuses another grant type with unsupported_grant_type', () => {
    expect(() => parseTokenRequest(parseFormBody('grant_type=authorization_code&auth_req_id=abc'))).toThrow(
      UnsupportedGrantType,
    );
  });

  it('refuses a missing grant parameter with invalid_request naming it', () => {
    expect(() => parseTokenRequest(parseFormBody(grantType))).toThrow(
      new InvalidRequest('The auth_req_id parameter is required.'),
    );
    expect(() => parseTokenRequest(parseFormBody('grant_type=refresh_token'))).toThrow(
      new InvalidRequest('The refresh_token parameter is required.'),
    );
  });

  it('refuses a malformed scope on a refresh with invalid_scope', () => {
    expect(() => parseTokenRequest(parseFormBody('grant_type=refresh_token&refresh_token=rt&scope=a"b'))).toThrow(
      InvalidScope,
    );
  });
});
