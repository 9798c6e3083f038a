import type { User } from './user.js';
import { USERINFO_CLAIMS, userinfoClaims } from './userinfo-claims.js';

const alice: User = {
  subject: 'alice',
  username: 'alice.w',
  email: 'alice@example.com',
  phoneNumber: '+441234567890',
  name: 'Alice Wonder',
};

describe('userinfoClaims (OIDC Core §5.4)', () => {
  it('answers only sub for openid alone', () => {
    expect(userinfoClaims(alice, ['openid'])).toEqual({ sub: 'alice' });
  });

  it('answers the claims of each granted scope, and no others', () => {
    expect(userinfoClaims(alice, ['openid', 'profile'])).toEqual({
      sub: 'alice',
      name: 'Alice Wonder',
      preferred_username: 'alice.w',
    });
    expect(userinfoClaims(alice, ['openid', 'email', 'phone'])).toEqual({
      sub: 'alice',
      email: 'alice@example.com',
      phone_number: '+441234567890',
    });
  });

  it('leaves out a granted claim the user does not have, and ignores unknown scopes', () => {
    const bare: User = { subject: 'bob', username: null, email: null, phoneNumber: null, name: null };
    expect(userinfoClaims(bare, ['openid', 'profile', 'email', 'payments:read'])).toEqual({ sub: 'bob' });
  });

  it('lists the claims it can answer', () => {
    expect(USERINFO_CLAIMS).toEqual(['sub', 'name', 'preferred_username', 'email', 'phone_number']);
  });
});
