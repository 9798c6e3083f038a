import { userResponse } from './user.js';

describe('userResponse', () => {
  it('uses the OIDC claim names, null for a claim the user does not have', () => {
    expect(
      userResponse({
        subject: 'u1',
        username: 'alice',
        email: 'a@example.com',
        phoneNumber: '+4477009001',
        name: null,
        claims: { given_name: 'Alice', email_verified: true, address: { country: 'GB' } },
        updatedAt: '2026-01-02T03:04:05.000Z',
      }),
    ).toEqual({
      sub: 'u1',
      username: 'alice',
      email: 'a@example.com',
      phone_number: '+4477009001',
      name: null,
      given_name: 'Alice',
      family_name: null,
      middle_name: null,
      nickname: null,
      profile: null,
      picture: null,
      website: null,
      gender: null,
      birthdate: null,
      zoneinfo: null,
      locale: null,
      email_verified: true,
      phone_number_verified: null,
      address: { country: 'GB' },
      updated_at: '2026-01-02T03:04:05.000Z',
    });
  });
});
