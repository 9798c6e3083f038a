import { userResponse } from './user.js';

describe('userResponse', () => {
  it('uses the OIDC claim names', () => {
    expect(
      userResponse({
        subject: 'u1',
        username: 'alice',
        email: 'a@example.com',
        phoneNumber: '+4477009001',
        name: null,
      }),
    ).toEqual({ sub: 'u1', username: 'alice', email: 'a@example.com', phone_number: '+4477009001', name: null });
  });
});
