import { DirectoryValidationError } from './directory-errors.js';
import { parseNewDevice, parseNewUser, parseUserUpdate } from './directory-input.js';
import type { User } from './user.js';

function rejection(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof DirectoryValidationError) return error.message;
    throw error;
  }
  throw new Error('the input was accepted');
}

describe('parseNewUser', () => {
  it('accepts a user with only a sub, the other fields null', () => {
    expect(parseNewUser({ sub: 'user-1' })).toEqual({
      subject: 'user-1',
      username: null,
      email: null,
      phoneNumber: null,
      name: null,
      claims: {},
    });
  });

  it('maps every field, lower-casing the e-mail address and trimming the name', () => {
    expect(
      parseNewUser({
        sub: 'user-1',
        username: 'alice',
        email: 'Alice.Smith@Example.COM',
        phone_number: '+447700900123',
        name: '  Alice Smith ',
      }),
    ).toEqual({
      subject: 'user-1',
      username: 'alice',
      email: 'alice.smith@example.com',
      phoneNumber: '+447700900123',
      name: 'Alice Smith',
      claims: {},
    });
  });

  it('treats null optional fields as absent and ignores unknown members', () => {
    expect(parseNewUser({ sub: 'user-1', username: null, email: null, role: 'admin' })).toEqual({
      subject: 'user-1',
      username: null,
      email: null,
      phoneNumber: null,
      name: null,
      claims: {},
    });
  });

  it.each([null, 'user-1', [{ sub: 'user-1' }]])('rejects %p, which is not an object', (input) => {
    expect(rejection(() => parseNewUser(input))).toBe('the user must be a JSON object');
  });

  describe('sub', () => {
    it('is required', () => {
      expect(rejection(() => parseNewUser({ username: 'alice' }))).toBe('sub is required and must be a string');
      expect(rejection(() => parseNewUser({ sub: 12 }))).toBe('sub is required and must be a string');
    });

    it('has 1 to 255 characters', () => {
      expect(parseNewUser({ sub: 's'.repeat(255) }).subject).toHaveLength(255);
      expect(rejection(() => parseNewUser({ sub: '' }))).toBe('sub must not be empty');
      expect(rejection(() => parseNewUser({ sub: 's'.repeat(256) }))).toBe('sub must be at most 255 characters');
    });

    it.each([
      'user 1',
      ' user',
      'user\t1',
      'user\n',
      'user\u0000',
      'user\u007f',
      'user\u00a0x',
      's\ud800',
      'alice\u200b',
      '\u202eecila',
      'al\u200dice',
      'ali\u2066ce',
    ])('rejects %p, which holds whitespace, a control, bidirectional or invisible character', (sub) => {
      expect(rejection(() => parseNewUser({ sub }))).toBe(
        'sub must be well-formed Unicode without whitespace, control, bidirectional or invisible characters',
      );
    });

    it('accepts other Unicode', () => {
      expect(parseNewUser({ sub: 'usér|42@tenant' }).subject).toBe('usér|42@tenant');
    });
  });

  describe('username', () => {
    it('has 1 to 64 characters without whitespace', () => {
      expect(parseNewUser({ sub: 'u', username: 'a'.repeat(64) }).username).toHaveLength(64);
      expect(rejection(() => parseNewUser({ sub: 'u', username: '' }))).toBe('username must not be empty');
      expect(rejection(() => parseNewUser({ sub: 'u', username: 'a'.repeat(65) }))).toBe(
        'username must be at most 64 characters',
      );
      for (const username of ['al ice', 'alice\u200b', '\u202eecila']) {
        expect(rejection(() => parseNewUser({ sub: 'u', username }))).toBe(
          'username must be well-formed Unicode without whitespace, control, bidirectional or invisible characters',
        );
      }
    });
  });

  describe('email', () => {
    it.each(['alice', 'alice@', '@example.com', 'alice smith@example.com', 'alice@example', 42])(
      'rejects %p',
      (email) => {
        expect(rejection(() => parseNewUser({ sub: 'u', email }))).toBe('email must be a valid e-mail address');
      },
    );
  });

  describe('phone_number', () => {
    it.each(['+1234567', '+123456789012345'])('accepts E.164 %p', (phone) => {
      expect(parseNewUser({ sub: 'u', phone_number: phone }).phoneNumber).toBe(phone);
    });

    it.each(['447700900123', '+123456', '+1234567890123456', '+44 7700 900123', '+44-7700', '+44770090012a'])(
      'rejects %p',
      (phone) => {
        expect(rejection(() => parseNewUser({ sub: 'u', phone_number: phone }))).toBe(
          'phone_number must be in E.164 format: + followed by 7 to 15 digits',
        );
      },
    );
  });

  describe('name', () => {
    it('has at most 200 characters', () => {
      expect(parseNewUser({ sub: 'u', name: 'n'.repeat(200) }).name).toHaveLength(200);
      expect(rejection(() => parseNewUser({ sub: 'u', name: 'n'.repeat(201) }))).toBe(
        'name must be at most 200 characters',
      );
      expect(rejection(() => parseNewUser({ sub: 'u', name: ' ' }))).toBe('name must not be empty');
    });

    it.each(['Alice\u0007', 'Alice\nSmith', 'Alice\u202e\u0085', 'Al\ud800ice'])(
      'rejects %p, which is not well-formed Unicode or holds a control character',
      (name) => {
        expect(rejection(() => parseNewUser({ sub: 'u', name }))).toBe(
          'name must be well-formed Unicode without control characters',
        );
      },
    );

    it.each(['\u202eecilA', 'Ali\u200bce', 'Alice\u2066'])(
      'rejects %p, which holds a bidirectional or invisible character',
      (name) => {
        expect(rejection(() => parseNewUser({ sub: 'u', name }))).toBe(
          'name must not contain bidirectional or invisible formatting characters',
        );
      },
    );

    it('accepts an emoji sequence with the zero-width joiner in a name', () => {
      expect(parseNewUser({ sub: 'u', name: 'Alice 👩‍💻' }).name).toBe('Alice 👩‍💻');
    });
  });

  describe('the profile claims (OIDC Core §5.1)', () => {
    const claimsOf = (input: Record<string, unknown>) => parseNewUser({ sub: 'u', ...input }).claims;

    it('maps each claim by its OIDC name, and leaves out null ones', () => {
      const claims = {
        given_name: 'Zoë',
        family_name: 'Ó Briain',
        middle_name: 'Marie',
        nickname: 'Zo',
        profile: 'https://example.com/zoe',
        picture: 'https://cdn.example.com/zoe.png?size=256',
        website: 'https://zoe.example/',
        gender: 'female',
        birthdate: '1985-12-31',
        zoneinfo: 'Europe/Dublin',
        locale: 'ga-IE',
        phone_number_verified: false,
        address: { formatted: '1 Main St\r\nDublin', postal_code: 'D01 F5P2', country: 'Ireland' },
      };
      expect(claimsOf({ ...claims, phone_number: '+353851234567', email_verified: null, nickname: null })).toEqual({
        ...claims,
        nickname: undefined,
      });
    });

    it.each(['given_name', 'family_name', 'middle_name', 'nickname'])('%s is text of 1 to 100 characters', (claim) => {
      expect(claimsOf({ [claim]: '  x'.padEnd(102, 'x') })).toEqual({ [claim]: 'x'.repeat(100) });
      expect(rejection(() => claimsOf({ [claim]: 'x'.repeat(101) }))).toBe(`${claim} must be at most 100 characters`);
      expect(rejection(() => claimsOf({ [claim]: ' ' }))).toBe(`${claim} must not be empty`);
      expect(rejection(() => claimsOf({ [claim]: 7 }))).toBe(`${claim} must be a string`);
      expect(rejection(() => claimsOf({ [claim]: 'a\tb' }))).toBe(
        `${claim} must be well-formed Unicode without control characters`,
      );
    });

    it('gender is text of at most 50 characters', () => {
      expect(claimsOf({ gender: 'non-binary' })).toEqual({ gender: 'non-binary' });
      expect(rejection(() => claimsOf({ gender: 'g'.repeat(51) }))).toBe('gender must be at most 50 characters');
    });

    describe.each(['profile', 'picture', 'website'])('%s', (claim) => {
      it('is an absolute https URL', () => {
        expect(claimsOf({ [claim]: 'https://example.com/a?b=c#d' })).toEqual({
          [claim]: 'https://example.com/a?b=c#d',
        });
      });

      it.each([
        'http://example.com/',
        'javascript:alert(1)',
        'data:image/png;base64,AAAA',
        '//example.com/a',
        '/a',
        'https://',
        'https://exa mple.com/',
        ' https://example.com/',
        'https://example.com/\n',
      ])('rejects %p', (url) => {
        expect(rejection(() => claimsOf({ [claim]: url }))).toBe(`${claim} must be an absolute https URL`);
      });

      it('has at most 2048 characters', () => {
        const url = `https://example.com/${'a'.repeat(2048)}`;
        expect(rejection(() => claimsOf({ [claim]: url }))).toBe(`${claim} must be at most 2048 characters`);
      });
    });

    describe('birthdate', () => {
      it.each(['1990', '1990-01-31', '2000-02-29', '0000-07-14'])('accepts %p', (birthdate) => {
        expect(claimsOf({ birthdate })).toEqual({ birthdate });
      });

      it.each([
        '90',
        '1990-1-31',
        '1990-02-30',
        '2001-02-29',
        '1990-13-01',
        '1990/01/31',
        '1990-01-31T00:00:00Z',
        1990,
      ])('rejects %p', (birthdate) => {
        expect(rejection(() => claimsOf({ birthdate }))).toBe(
          typeof birthdate === 'string'
            ? 'birthdate must be a date as YYYY-MM-DD, or a year as YYYY'
            : 'birthdate must be a string',
        );
      });
    });

    describe('zoneinfo', () => {
      it('is a time zone database name, kept in its canonical spelling', () => {
        expect(claimsOf({ zoneinfo: 'America/Los_Angeles' })).toEqual({ zoneinfo: 'America/Los_Angeles' });
        expect(claimsOf({ zoneinfo: 'europe/paris' })).toEqual({ zoneinfo: 'Europe/Paris' });
      });

      it.each(['Mars/Olympus_Mons', '+01:00', 'Europe Paris', ''])('rejects %p', (zoneinfo) => {
        expect(rejection(() => claimsOf({ zoneinfo }))).toBe(
          'zoneinfo must be a time zone database name, such as Europe/Paris',
        );
      });
    });

    describe('locale', () => {
      it('is a BCP 47 language tag, kept in its canonical form', () => {
        expect(claimsOf({ locale: 'en-us' })).toEqual({ locale: 'en-US' });
        expect(claimsOf({ locale: 'fr' })).toEqual({ locale: 'fr' });
      });

      it.each(['en_US', 'english!', '', '12'])('rejects %p', (locale) => {
        expect(rejection(() => claimsOf({ locale }))).toBe('locale must be a BCP 47 language tag, such as en-US');
      });
    });

    describe('email_verified and phone_number_verified', () => {
      it('are booleans', () => {
        expect(rejection(() => claimsOf({ email: 'a@example.com', email_verified: 'true' }))).toBe(
          'email_verified must be true or false',
        );
        expect(rejection(() => claimsOf({ phone_number: '+441234567890', phone_number_verified: 1 }))).toBe(
          'phone_number_verified must be true or false',
        );
      });

      it('say something only of an e-mail address or phone number the user has', () => {
        expect(rejection(() => claimsOf({ email_verified: true }))).toBe('email_verified needs an email');
        expect(rejection(() => claimsOf({ phone_number_verified: false }))).toBe(
          'phone_number_verified needs a phone_number',
        );
      });
    });

    describe('address', () => {
      it('keeps the members given, trimmed; an address without members is none', () => {
        expect(claimsOf({ address: { locality: ' Oxford ', country: 'GB', planet: 'Earth' } })).toEqual({
          address: { locality: 'Oxford', country: 'GB' },
        });
        expect(claimsOf({ address: {} })).toEqual({});
      });

      it('allows several lines only in formatted and street_address', () => {
        expect(claimsOf({ address: { street_address: 'Flat 2\n10 High St' } })).toEqual({
          address: { street_address: 'Flat 2\n10 High St' },
        });
        expect(rejection(() => claimsOf({ address: { locality: 'Ox\nford' } }))).toBe(
          'address.locality must be well-formed Unicode without control characters',
        );
        expect(rejection(() => claimsOf({ address: { formatted: 'a\u0000b' } }))).toBe(
          'address.formatted must be well-formed Unicode without control characters',
        );
      });

      it.each([
        ['formatted', 500],
        ['street_address', 300],
        ['locality', 100],
        ['region', 100],
        ['postal_code', 20],
        ['country', 100],
      ])('limits %s to %d characters', (member, max) => {
        expect(rejection(() => claimsOf({ address: { [member]: 'a'.repeat(max + 1) } }))).toBe(
          `address.${member} must be at most ${max} characters`,
        );
      });

      it('is an object', () => {
        expect(rejection(() => claimsOf({ address: '1 Main St' }))).toBe('address must be a JSON object');
      });
    });
  });
});

describe('parseUserUpdate (a JSON merge patch, RFC 7396)', () => {
  const alice: User = {
    subject: 'alice',
    username: 'alice',
    email: 'alice@example.com',
    phoneNumber: '+441234567890',
    name: 'Alice',
    claims: {
      email_verified: true,
      phone_number_verified: true,
      nickname: 'Al',
      address: { locality: 'Oxford', country: 'GB' },
    },
    updatedAt: '2026-01-02T03:04:05.000Z',
  };

  it('replaces the members given, clears those set to null, keeps the others', () => {
    expect(parseUserUpdate(alice, { name: 'Alice Liddell', nickname: null, given_name: 'Alice' })).toEqual({
      subject: 'alice',
      username: 'alice',
      email: 'alice@example.com',
      phoneNumber: '+441234567890',
      name: 'Alice Liddell',
      claims: {
        email_verified: true,
        phone_number_verified: true,
        given_name: 'Alice',
        address: { locality: 'Oxford', country: 'GB' },
      },
    });
  });

  it('merges the address member by member', () => {
    expect(parseUserUpdate(alice, { address: { locality: null, region: 'Oxfordshire' } }).claims.address).toEqual({
      country: 'GB',
      region: 'Oxfordshire',
    });
    expect(parseUserUpdate(alice, { address: { locality: null, country: null } }).claims).not.toHaveProperty('address');
    expect(parseUserUpdate(alice, { address: null }).claims).not.toHaveProperty('address');
    const homeless = { ...alice, claims: {} };
    expect(parseUserUpdate(homeless, { address: { region: null, country: 'GB' } }).claims.address).toEqual({
      country: 'GB',
    });
  });

  it('takes sub only unchanged, and ignores the members the server sets', () => {
    expect(parseUserUpdate(alice, { sub: 'alice', updated_at: '2000-01-01T00:00:00Z', disabled_at: null }).name).toBe(
      'Alice',
    );
    expect(rejection(() => parseUserUpdate(alice, { sub: 'bob' }))).toBe('sub cannot be changed');
    expect(rejection(() => parseUserUpdate(alice, { sub: null }))).toBe('sub cannot be changed');
  });

  it('does not take a new e-mail address or phone number as verified unless it says so', () => {
    expect(parseUserUpdate(alice, { email: 'alice@example.org' }).claims).not.toHaveProperty('email_verified');
    expect(parseUserUpdate(alice, { email: 'alice@example.org', email_verified: true }).claims.email_verified).toBe(
      true,
    );
    expect(parseUserUpdate(alice, { email: null }).claims).not.toHaveProperty('email_verified');
    expect(parseUserUpdate(alice, { phone_number: '+441234567891' }).claims).toEqual(
      expect.not.objectContaining({ phone_number_verified: true }),
    );
    expect(parseUserUpdate(alice, { name: 'A' }).claims).toMatchObject({
      email_verified: true,
      phone_number_verified: true,
    });
  });

  it('refuses an update that leaves an invalid user', () => {
    expect(rejection(() => parseUserUpdate(alice, { website: 'http://alice.example' }))).toBe(
      'website must be an absolute https URL',
    );
    expect(rejection(() => parseUserUpdate(alice, { email: null, email_verified: true }))).toBe(
      'email_verified needs an email',
    );
  });

  it.each([null, [], 'name', 42])('refuses %p, which is not an object', (input) => {
    expect(rejection(() => parseUserUpdate(alice, input))).toBe('the update must be a JSON object');
  });
});

describe('parseNewDevice', () => {
  it('accepts a name of 1 to 100 characters, trimmed', () => {
    expect(parseNewDevice({ name: ' Pixel 9 ' })).toEqual({ name: 'Pixel 9' });
    expect(parseNewDevice({ name: 'd'.repeat(100) }).name).toHaveLength(100);
  });

  it('rejects a missing, empty or too long name', () => {
    expect(rejection(() => parseNewDevice({}))).toBe('name must be a string');
    expect(rejection(() => parseNewDevice({ name: '  ' }))).toBe('name must not be empty');
    expect(rejection(() => parseNewDevice({ name: 'd'.repeat(101) }))).toBe('name must be at most 100 characters');
    // listed to the admin and the user: it may not disguise itself either
    expect(rejection(() => parseNewDevice({ name: 'Phone\u202e' }))).toBe(
      'name must not contain bidirectional or invisible formatting characters',
    );
  });

  it('rejects input that is not an object', () => {
    expect(rejection(() => parseNewDevice('Pixel'))).toBe('the device must be a JSON object');
  });
});
