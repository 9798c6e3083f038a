import type { OAuthError } from './oauth-errors.js';
import { isValidErrorDescription, toErrorDescription } from './error-description.js';
import { assertFormUrlEncoded, parseFormBody } from './form-parameters.js';
import { CIBA_GRANT_TYPE, parseTokenRequest } from './token-request.js';

describe('error descriptions', () => {
  it('accepts the RFC 6749 character set and refuses quotes, backslashes, line breaks and non-ASCII', () => {
    expect(isValidErrorDescription("The scope isn't allowed: [a-z] {x} ~!")).toBe(true);
    for (const refused of ['say "hi"', 'a\\b', 'line\nbreak', 'tab\there', 'caf\u00e9']) {
      expect(isValidErrorDescription(refused)).toBe(false);
    }
  });

  it('turns any text into a valid description', () => {
    expect(toErrorDescription('Cannot parse "x"\r\n\tat C:\\path caf\u00e9 \u202E')).toBe(
      "Cannot parse 'x' at C: path caf",
    );
    expect(isValidErrorDescription(toErrorDescription('\u0000\u007F\u00A0\uD83D\uDE00'))).toBe(true);
  });

  it('bounds the length', () => {
    expect(toErrorDescription('x'.repeat(1000))).toHaveLength(300);
    expect(toErrorDescription('abcdef', 3)).toBe('abc');
  });
});

describe('descriptions of form and token request errors', () => {
  const RFC_6749_ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

  function descriptionOf(failing: () => unknown): string {
    try {
      failing();
    } catch (error) {
      return (error as OAuthError).description;
    }
    throw new Error('expected a refusal');
  }

  it.each([
    ['a repeated parameter', () => parseFormBody('scope=a&scope=b')],
    ['a repeated parameter with quotes and line breaks in its name', () => parseFormBody('%22x%0D%0A=a&%22x%0D%0A=b')],
    ['a repeated parameter with a non-ASCII name', () => parseFormBody('%E2%80%AE=a&%E2%80%AE=b')],
    ['a wrong content type', () => assertFormUrlEncoded('application/json')],
    ['a missing grant_type', () => parseTokenRequest(parseFormBody('auth_req_id=a'))],
    ['another grant_type', () => parseTokenRequest(parseFormBody('grant_type=password'))],
    ['a missing auth_req_id', () => parseTokenRequest(parseFormBody(`grant_type=${CIBA_GRANT_TYPE}`))],
  ])('%s', (_case, failing) => {
    expect(descriptionOf(failing)).toMatch(RFC_6749_ERROR_DESCRIPTION);
  });
});
