import type { HttpException } from '@nestjs/common';
import type { AuthRequestRejectionCode } from '@backchannel/auth-request';
import { decisionError } from './decision-error.js';

describe('decisionError', () => {
  it.each<[AuthRequestRejectionCode, number]>([
    ['already_decided', 409],
    ['expired', 410],
    ['invalid_scope', 400],
    ['not_found', 404],
  ])('answers %s with %i', (code, status) => {
    expect((decisionError({ code, message: 'irrelevant' }) as HttpException).getStatus()).toBe(status);
  });
});
