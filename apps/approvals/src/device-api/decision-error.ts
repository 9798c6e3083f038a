import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GoneException,
  NotFoundException,
} from '@nestjs/common';
import type { AnswerRefusal } from '../answers/answer-recorder.js';

/** Unknown and another user's requests get the same answer, so a device learns nothing of others. */
export function unknownRequest(): NotFoundException {
  return new NotFoundException('No such request for this user.');
}

/** How the device API and the authenticator answer a refused answer. */
export function decisionError(refusal: AnswerRefusal): Error {
  switch (refusal.code) {
    case 'wrong_door':
    case 'insufficient_authentication':
      return new ForbiddenException(refusal.message);
    case 'already_decided':
      return new ConflictException('The request has already been decided.');
    case 'expired':
      return new GoneException('The request has expired.');
    case 'invalid_scope':
      return new BadRequestException(
        'The granted scope must be a non-empty subset of the requested scope with openid.',
      );
    case 'not_found':
    case 'already_exists':
    case 'invalid_grant':
    case 'expired_token':
    case 'access_denied':
    case 'authorization_pending':
    case 'not_due':
      return unknownRequest();
    default: {
      const unexpected: never = refusal;
      throw new Error(`unexpected refusal ${(unexpected as { code: string }).code}`);
    }
  }
}
