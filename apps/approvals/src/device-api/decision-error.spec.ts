import type { HttpException } from '@nestjs/common';
import type { AnswerRefusal } from '../answers/answer-recorder.js';
import { decisionError } from './decision-error.js';

describe('decisionError', () => {
  it.each<[AnswerRefusal['code'], number]>([
    ['wrong_door', 403],
    ['already_decided', 409],
    ['expired', 410],
    ['invalid_scope', 400],
    ['not_found', 404],
  ])('answers %s with %i', (code, status) => {
    expect((decisionError({ code, message: 'irrelevant' } as AnswerRefusal) as HttpException).getStatus()).toBe(status);
  });

  it('tells a device at the wrong door which door is its own', () => {
    const refusal: AnswerRefusal = { code: 'wrong_door', message: 'This device answers with its passkey.' };
    expect((decisionError(refusal) as HttpException).message).toBe('This device answers with its passkey.');
  });
});
