import { BadRequestException, ConflictException, GoneException, NotFoundException } from '@nestjs/common';
import type { AuthRequestRejection } from '@backchannel/auth-request';

/** Unknown and another user's requests get the same answer, so a device learns nothing of others. */
export function unknownRequest(): NotFoundException {
  return new NotFoundException('No such request for this user.');
}

/** The device API's answer to each refusal of GiveConsent or DenyConsent. */
export function decisionError(rejection: AuthRequestRejection): Error {
  switch (rejection.code) {
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
    case 'not_pending':
    case 'invalid_grant':
    case 'expired_token':
    case 'access_denied':
    case 'authorization_pending':
    case 'not_due':
      return unknownRequest();
    default: {
      const unexpected: never = rejection.code;
      throw new Error(`unexpected rejection ${String(unexpected)}`);
    }
  }
}
