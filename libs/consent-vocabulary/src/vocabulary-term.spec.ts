import { assertDefinableName, parseDescription, VocabularyValidationError } from './vocabulary-term.js';

describe('assertDefinableName', () => {
  describe('of an API scope', () => {
    it.each(['payments:read', 'accounts', 'https://api.example.com/transfer', '!#[]~', 'constructor', 'x'.repeat(64)])(
      'accepts %s',
      (name) => {
        expect(() => assertDefinableName('scope', name)).not.toThrow();
      },
    );

    it.each(['', 'two words', 'quote"d', 'back\\slash', 'naïve', 'x'.repeat(65)])('refuses %j', (name) => {
      expect(() => assertDefinableName('scope', name)).toThrow(
        new VocabularyValidationError(
          'an API scope must be a scope token (RFC 6749 section 3.3) of at most 64 characters',
        ),
      );
    });

    it.each(['openid', 'profile', 'email', 'phone', 'address', 'offline_access'])(
      'refuses the standard scope %s, which the server words itself',
      (name) => {
        expect(() => assertDefinableName('scope', name)).toThrow(
          new VocabularyValidationError(`${name} is a standard scope: the server words it itself`),
        );
      },
    );
  });

  describe('of an authorization detail type', () => {
    it.each(['payment_initiation', 'https://example.com/types/transfer', 'quote"d\\', 'openid', 'x'.repeat(64)])(
      'accepts %s',
      (name) => {
        expect(() => assertDefinableName('authorization_detail_type', name)).not.toThrow();
      },
    );

    it.each(['', 'two words', 'tab\there', 'naïve', 'x'.repeat(65)])('refuses %j', (name) => {
      expect(() => assertDefinableName('authorization_detail_type', name)).toThrow(
        new VocabularyValidationError(
          'an authorization detail type must be 1 to 64 printable ASCII characters without spaces',
        ),
      );
    });
  });
});

describe('parseDescription', () => {
  it.each([
    ['Read your account balances', 'Read your account balances'],
    ['  Send payments up to 100 €  ', 'Send payments up to 100 €'],
    ['Zahlungen auslösen 🏴󠁧󠁢󠁥󠁮󠁧󠁿 👩‍💻', 'Zahlungen auslösen 🏴󠁧󠁢󠁥󠁮󠁧󠁿 👩‍💻'],
    ['é'.repeat(200), 'é'.repeat(200)],
    ['😀'.repeat(200), '😀'.repeat(200)],
  ])('keeps %j as %j', (description, kept) => {
    expect(parseDescription({ description })).toBe(kept);
  });

  it.each([
    [{}, 'description is required and must be a string'],
    [{ description: 7 }, 'description is required and must be a string'],
    [null, 'the body must be a JSON object with a description'],
    ['words', 'the body must be a JSON object with a description'],
    [{ description: '' }, 'description must be 1 to 200 characters'],
    [{ description: '   ' }, 'description must be 1 to 200 characters'],
    [{ description: 'é'.repeat(201) }, 'description must be 1 to 200 characters'],
  ])('refuses %j: %s', (input, message) => {
    expect(() => parseDescription(input)).toThrow(new VocabularyValidationError(message));
  });

  it.each([
    ['a line feed', 'Read\nall'],
    ['a NUL', 'Read\u0000all'],
    ['a right-to-left override', 'Pay \u202Eevil'],
    ['a zero-width space', 'Pay\u200Bnothing'],
    ['a lone surrogate', 'Pay \uD800'],
    ['a line separator', 'Pay\u2028all'],
  ])('refuses a description with %s', (_what, description) => {
    expect(() => parseDescription({ description })).toThrow(
      new VocabularyValidationError(
        'description must not contain control, bidirectional or invisible formatting characters',
      ),
    );
  });
});
