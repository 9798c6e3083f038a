import { BadRequestException } from '@nestjs/common';
import { adminActionReason } from './admin-action.js';

describe('adminActionReason', () => {
  it('is null when none is given, else the reason', () => {
    expect(adminActionReason(null)).toBeNull();
    expect(adminActionReason({})).toBeNull();
    expect(adminActionReason({ reason: 'lost laptop' })).toBe('lost laptop');
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['501 characters', 'x'.repeat(501)],
  ])('refuses %s with 400', (_, reason) => {
    expect(() => adminActionReason({ reason })).toThrow(BadRequestException);
  });
});
