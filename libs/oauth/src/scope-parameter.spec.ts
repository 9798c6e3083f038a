import { InvalidScope } from './oauth-errors.js';
import { parseScope } from './scope-parameter.js';

describe('parseScope', () => {
  it('keeps the order sent and drops repetitions', () => {
    expect(parseScope('profile openid profile email')).toEqual(['profile', 'openid', 'email']);
  });

  it('tolerates repeated spaces', () => {
    expect(parseScope(' openid   profile ')).toEqual(['openid', 'profile']);
    expect(parseScope('   ')).toEqual([]);
  });

  it('accepts every RFC 6749 scope-token character', () => {
    expect(parseScope('!#[]~ urn:x-bank:accounts.read/12?a=b')).toEqual(['!#[]~', 'urn:x-bank:accounts.read/12?a=b']);
  });

  it.each(['openid "profile"', 'openid\\profile', 'openid\tprofile', 'openid\nprofile', 'openid caf\u00e9'])(
    'refuses %j with invalid_scope',
    (scope) => {
      expect(() => parseScope(scope)).toThrow(InvalidScope);
    },
  );
});
