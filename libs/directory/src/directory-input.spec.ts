import { DirectoryValidationError } from './directory-errors.js';
import { parseNewDevice, parseNewUser } from './directory-input.js';

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
    });
  });

  it('treats null optional fields as absent and ignores unknown members', () => {
    expect(parseNewUser({ sub: 'user-1', username: null, email: null, role: 'admin' })).toEqual({
      subject: 'user-1',
      username: null,
      email: null,
      phoneNumber: null,
      name: null,
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

    it.each(['user 1', ' user', 'user\t1', 'user\n', 'user\u0000', 'user\u007f', 'user\u00a0x'])(
      'rejects %p, which holds whitespace or a control character',
      (sub) => {
        expect(rejection(() => parseNewUser({ sub }))).toBe('sub must not contain whitespace or control characters');
      },
    );

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
      expect(rejection(() => parseNewUser({ sub: 'u', username: 'al ice' }))).toBe(
        'username must not contain whitespace or control characters',
      );
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
  });
});

describe('parseNewDevice', () => {
  it('accepts a name of 1 to 100 characters, trimmed', () => {
    expect(parseNewDevice({ name: ' Pixel 9 ' })).toEqual({ name: 'Pixel 9' });
    expect(parseNewDevice({ name: 'd'.repeat(100) }).name).toHaveLength(100);
  });

  it('rejects a missing, empty or too long name', () => {
    expect(rejection(() => parseNewDevice({}))).toBe('name is required and must be a string');
    expect(rejection(() => parseNewDevice({ name: '  ' }))).toBe('name must not be empty');
    expect(rejection(() => parseNewDevice({ name: 'd'.repeat(101) }))).toBe('name must be at most 100 characters');
  });

  it('rejects input that is not an object', () => {
    expect(rejection(() => parseNewDevice('Pixel'))).toBe('the device must be a JSON object');
  });
});
