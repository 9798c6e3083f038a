import { findRepeatedKey } from './json-body.parser.js';

describe('findRepeatedKey', () => {
  it.each([
    ['a key twice at the top', '{"decision":"approve","decision":"deny"}', 'decision'],
    ['a key twice in a nested object', '{"a":{"b":1,"c":{"d":1,"d":2}}}', 'd'],
    ['a key twice in an object inside an array', '{"devices":[{"id":1},{"id":2,"id":3}]}', 'id'],
    ['a key twice in an object of a top-level array', '[1,[{"x":null,"x":null}]]', 'x'],
    ['one key written plainly and escaped', '{"a":1,"\\u0061":2}', 'a'],
    ['one key escaped twice differently', '{"\\u00e9":1,"\\u00E9":2}', 'é'],
    ['a key with an escaped quote', '{"a\\"b":1,"a\\u0022b":2}', 'a"b'],
    ['a surrogate pair written plainly and escaped', '{"🧾":1,"\\ud83e\\uddfe":2}', '🧾'],
    ['the empty key', '{"":1,"":2}', ''],
    ['a repeated key after a deep object closes', '{"a":{"b":{"c":1}},"a":2}', 'a'],
  ])('finds %s', (_, json, key) => {
    expect(findRepeatedKey(json)).toBe(key);
  });

  it.each([
    ['distinct keys', '{"decision":"approve","reason":"ok"}'],
    ['one key in sibling objects', '{"a":{"id":1},"b":{"id":2}}'],
    ['one key in the objects of an array', '[{"id":1},{"id":2}]'],
    ['one key at two depths', '{"id":{"id":{"id":1}}}'],
    ['keys that differ only in case', '{"a":1,"A":2}'],
    ['a repeated string value', '{"a":"x","b":"x"}'],
    ['a key that appears as a string value', '{"a":"b","b":"a"}'],
    ['no object at all', '[1,"a",null]'],
  ])('accepts %s', (_, json) => {
    expect(findRepeatedKey(json)).toBeNull();
  });
});
