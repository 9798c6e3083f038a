import { InvalidBindingMessage } from './oauth-errors.js';
import { assertDisplayableBindingMessage } from './binding-message.js';

describe('assertDisplayableBindingMessage', () => {
  it.each([
    ['a short code', 'W4SCT'],
    ['CJK', '\u53d6\u5f15\u756a\u53f7 1234 \u3092\u78ba\u8a8d\u3057\u3066\u304f\u3060\u3055\u3044'],
    ['emoji', 'Pay \u20ac12 \u{1F600}\u{1F44D}\u{1F3FD}'],
    ['a zero-width joiner sequence', 'family \u{1F468}\u200D\u{1F469}\u200D\u{1F467}'],
    ['variation selectors', 'heart \u2764\uFE0F text \u2764\uFE0E'],
    ['a subdivision flag', 'from \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}'],
    ['markup, which the display escapes', '<b>approve</b> & "quotes"'],
    ['256 emoji', '\u{1F600}'.repeat(256)],
  ])('accepts %s', (_case, message) => {
    expect(() => assertDisplayableBindingMessage(message)).not.toThrow();
  });

  it('refuses more than 256 code points', () => {
    expect(() => assertDisplayableBindingMessage('x'.repeat(257))).toThrow(InvalidBindingMessage);
    expect(() => assertDisplayableBindingMessage('\u{1F600}'.repeat(257))).toThrow(InvalidBindingMessage);
  });

  it.each([
    ['NUL', '\u0000'],
    ['tab', '\t'],
    ['line feed', '\n'],
    ['DEL', '\u007F'],
    ['a C1 control', '\u0085'],
    ['ALM', '\u061C'],
    ['LRM', '\u200E'],
    ['RLM', '\u200F'],
    ['LRE', '\u202A'],
    ['RLE', '\u202B'],
    ['PDF', '\u202C'],
    ['LRO', '\u202D'],
    ['RLO', '\u202E'],
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
    ['a zero-width space', '\u200B'],
    ['a zero-width non-joiner', '\u200C'],
    ['a byte order mark', '\uFEFF'],
    ['a soft hyphen', '\u00AD'],
    ['a line separator', '\u2028'],
    ['a paragraph separator', '\u2029'],
    ['a lone surrogate', '\uD800'],
    ['tag characters outside a flag', '\u{E0069}\u{E0067}\u{E006E}'],
  ])('refuses %s', (_case, character) => {
    expect(() => assertDisplayableBindingMessage(`pay ${character}1234`)).toThrow(InvalidBindingMessage);
  });
});
