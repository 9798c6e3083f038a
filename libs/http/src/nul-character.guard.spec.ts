import { holdsLoneSurrogate } from './nul-character.guard.js';

describe('holdsLoneSurrogate', () => {
  it.each([
    ['a lone high surrogate', { client_name: '\ud800' }],
    ['a lone low surrogate', { webhook_url: 'https://example.com/\udc00' }],
    ['a high surrogate followed by another', ['\ud800\ud800']],
    ['one in a key', { ['\udfff']: 'x' }],
    ['one deep in an array', { a: [{ b: ['ok', 'x\ud83d'] }] }],
  ])('finds %s', (_, body) => {
    expect(holdsLoneSurrogate(body)).toBe(true);
  });

  it.each([
    ['a surrogate pair (an emoji)', { client_name: 'Café 🧾' }],
    ['no strings at all', { a: 1, b: [true, null] }],
    ['an absent body', undefined],
    // the gateway's bodies: bytes passed on unparsed (walked as objects, each byte was an entry)
    ['raw bytes', Buffer.from(JSON.stringify({ client_name: 'x' }))],
  ])('accepts %s', (_, body) => {
    expect(holdsLoneSurrogate(body)).toBe(false);
  });
});
