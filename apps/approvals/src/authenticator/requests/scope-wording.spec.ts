import { RESERVED_SCOPES } from '@backchannel/oauth';
import { describeScope } from './scope-wording.js';

describe('describeScope', () => {
  it.each([
    ['openid', 'Confirm who you are'],
    ['profile', 'Your name and profile'],
    ['email', 'Your email address'],
    ['phone', 'Your phone number'],
    ['address', 'Your postal address'],
    ['offline_access', 'Keep access when you are not using it'],
  ])('words %s plainly', (scope, words) => {
    expect(describeScope(scope)).toBe(words);
  });

  // an API scope's words are defined by an admin, and a reserved scope cannot be: only the server words it
  it.each(RESERVED_SCOPES)('has words of its own for the reserved scope %s', (scope) => {
    expect(describeScope(scope)).not.toBe(scope);
  });

  it.each(['payments:read', 'EMAIL', 'constructor', '__proto__', 'toString'])(
    'shows the unknown scope %s as requested',
    (scope) => {
      expect(describeScope(scope)).toBe(scope);
    },
  );
});
