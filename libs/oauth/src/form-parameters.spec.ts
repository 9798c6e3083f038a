import { InvalidRequest } from './oauth-errors.js';
import { assertFormUrlEncoded, parseFormBody, requiredParameter, spaceDelimitedValues } from './form-parameters.js';

describe('parseFormBody', () => {
  it('decodes application/x-www-form-urlencoded parameters', () => {
    const params = parseFormBody('scope=openid+profile&login_hint=alice%40example.com&binding_message=%E2%9C%85%20ok');
    expect(Object.fromEntries(params)).toEqual({
      scope: 'openid profile',
      login_hint: 'alice@example.com',
      binding_message: '\u2705 ok',
    });
  });

  it('refuses a parameter sent twice, naming it', () => {
    expect(() => parseFormBody('scope=openid&login_hint=a&scope=openid')).toThrow(
      new InvalidRequest('The scope parameter was sent more than once.'),
    );
  });

  it('names a repeated parameter only with characters an error description allows', () => {
    expect(() => parseFormBody('a%22b%0A=1&a%22b%0A=2')).toThrow(
      new InvalidRequest("The a'b parameter was sent more than once."),
    );
    expect(() => parseFormBody('%C3%A9=1&%C3%A9=2')).toThrow(
      new InvalidRequest('A parameter was sent more than once.'),
    );
  });

  it('treats an empty value as omitted, so it is neither present nor a repetition', () => {
    const params = parseFormBody('scope=&login_hint=alice&scope=openid&user_code=');
    expect(Object.fromEntries(params)).toEqual({ scope: 'openid', login_hint: 'alice' });
  });

  it('returns no parameters for an empty body', () => {
    expect(parseFormBody('').size).toBe(0);
  });
});

describe('assertFormUrlEncoded', () => {
  it.each([
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=UTF-8',
    'Application/X-WWW-Form-Urlencoded',
  ])('accepts %s', (contentType) => {
    expect(() => assertFormUrlEncoded(contentType)).not.toThrow();
  });

  it.each([undefined, '', 'application/json', 'multipart/form-data; boundary=x', 'text/plain'])(
    'refuses %s with invalid_request',
    (contentType) => {
      expect(() => assertFormUrlEncoded(contentType)).toThrow(InvalidRequest);
    },
  );
});

describe('requiredParameter', () => {
  it('returns the value, or names the missing parameter', () => {
    const params = parseFormBody('auth_req_id=abc');
    expect(requiredParameter(params, 'auth_req_id')).toBe('abc');
    expect(() => requiredParameter(params, 'grant_type')).toThrow(
      new InvalidRequest('The grant_type parameter is required.'),
    );
  });
});

describe('spaceDelimitedValues', () => {
  it('splits on spaces, tolerating repeated, leading and trailing ones', () => {
    expect(spaceDelimitedValues('  urn:acr:a   urn:acr:b ')).toEqual(['urn:acr:a', 'urn:acr:b']);
    expect(spaceDelimitedValues(undefined)).toEqual([]);
  });
});
