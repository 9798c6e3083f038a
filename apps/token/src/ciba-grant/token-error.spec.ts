import type { AuthRequestRejectionCode } from '@backchannel/auth-request';
import { tokenError } from './token-error.js';

describe('tokenError', () => {
  it.each<[AuthRequestRejectionCode, string, number]>([
    ['expired_token', 'expired_token', 400],
    ['access_denied', 'access_denied', 400],
    ['authorization_pending', 'authorization_pending', 400],
    ['invalid_grant', 'invalid_grant', 400],
    ['not_found', 'invalid_grant', 400],
  ])('maps %s to %s (%i)', (code, error, status) => {
    const mapped = tokenError({ code, message: 'irrelevant' });
    expect({ error: mapped.error, status: mapped.status }).toEqual({ error, status });
  });
});
