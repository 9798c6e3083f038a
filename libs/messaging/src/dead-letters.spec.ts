import { describeError } from './dead-letters.js';

describe('describeError', () => {
  it('reads errors, the plain objects Nest filters produce, and anything else', () => {
    expect(describeError(new TypeError('bad'))).toEqual({ name: 'TypeError', message: 'bad' });
    expect(describeError({ status: 'error', message: 'Internal server error' })).toEqual({
      name: 'Error',
      message: 'Internal server error',
    });
    expect(describeError('boom')).toEqual({ name: 'string', message: 'boom' });
  });
});
