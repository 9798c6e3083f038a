import type { User } from './user.js';
import { USERINFO_CLAIMS, userinfoClaims } from './userinfo-claims.js';

const alice: User = {
  subject: 'alice',
  username: 'alice.w',
  email: 'alice@example.com',
  phoneNumber: '+441234567890',
  name: 'Alice Wonder',
  claims: {
    given_name: 'Alice',
    family_name: 'Wonder',
    middle_name: 'Liddell',
    nickname: 'Al',
    profile: 'https://example.com/alice',
    picture: 'https://example.com/alice.png',
    website: 'https://alice.example',
    gender: 'female',
    birthdate: '1990-05-04',
    zoneinfo: 'Europe/London',
    locale: 'en-GB',
    email_verified: true,
    phone_number_verified: false,
    address: { street_address: '1 Rabbit Hole', locality: 'Oxford', country: 'GB' },
  },
  updatedAt: '2026-01-02T03:04:05.678Z',
};

describe('userinfoClaims (OIDC Core §5.4)', () => {
  it('answers only sub for openid alone', () => {
    expect(userinfoClaims(alice, ['openid'])).toEqual({ sub: 'alice' });
  });

  it('answers the profile scope with the profile claims, updated_at in seconds since the epoch', () => {
    const { email_verified: _email, phone_number_verified: _phone, address: _address, ...profile } = alice.claims;
    expect(userinfoClaims(alice, ['openid', 'profile'])).toEqual({
      sub: 'alice',
      name: 'Alice Wonder',
      preferred_username: 'alice.w',
      ...profile,
      updated_at: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000,
    });
  });

  it('answers email, phone and address with their claims, and no others', () => {
    const { email_verified, phone_number_verified, address } = alice.claims;
    expect(userinfoClaims(alice, ['openid', 'email'])).toEqual({ sub: 'alice', email: alice.email, email_verified });
    expect(userinfoClaims(alice, ['openid', 'phone'])).toEqual({
      sub: 'alice',
      phone_number: alice.phoneNumber,
      phone_number_verified,
    });
    expect(userinfoClaims(alice, ['openid', 'address'])).toEqual({ sub: 'alice', address });
  });

  it('answers a claim the client asked for by name, though no granted scope grants it', () => {
    expect(userinfoClaims(alice, ['openid', 'email'], ['birthdate', 'phone_number_verified'])).toEqual({
      sub: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      birthdate: '1990-05-04',
      phone_number_verified: false,
    });
  });

  it('leaves out a granted or asked-for claim the user does not have, and ignores unknown scopes and claims', () => {
    const bare: User = {
      subject: 'bob',
      username: null,
      email: null,
      phoneNumber: null,
      name: null,
      claims: {},
      updatedAt: '2026-01-02T03:04:05.000Z',
    };
    expect(
      userinfoClaims(bare, ['openid', 'email', 'phone', 'address', 'payments:read'], ['nickname', 'credit_score']),
    ).toEqual({ sub: 'bob' });
    expect(userinfoClaims(alice, ['openid'], ['credit_score', 'toString'])).toEqual({ sub: 'alice' });
  });

  it('lists the claims it can answer: those of every scope, for a user who has them all', () => {
    const all = userinfoClaims(alice, ['openid', 'profile', 'email', 'phone', 'address']);
    expect([...USERINFO_CLAIMS].sort()).toEqual(Object.keys(all).sort());
  });
});
