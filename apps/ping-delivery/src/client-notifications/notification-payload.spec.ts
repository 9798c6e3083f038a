import type { PushedTokens } from '@backchannel/events';
import { notificationPayload } from './notification-payload.js';

const authReqId = 'xNtVb3fQ0nS9iYy2k5m1hHq7pG4cZ8aD6eR0tU2wL3s';
const tokens: PushedTokens = {
  access_token: 'at.value',
  token_type: 'Bearer',
  expires_in: 3600,
  id_token: 'header.payload.signature',
  scope: 'openid email',
};

describe('notificationPayload', () => {
  it('pings with the auth_req_id and nothing else (CIBA §10.2)', () => {
    expect(JSON.stringify(notificationPayload({ kind: 'ping' }, authReqId, null))).toBe(
      JSON.stringify({ auth_req_id: authReqId }),
    );
  });

  it('pushes the tokens with the auth_req_id (CIBA §10.3.1)', () => {
    expect(notificationPayload({ kind: 'push_tokens' }, authReqId, tokens)).toEqual({
      auth_req_id: authReqId,
      ...tokens,
    });
  });

  it('refuses to push tokens it does not have', () => {
    expect(() => notificationPayload({ kind: 'push_tokens' }, authReqId, null)).toThrow(/tokens to push are missing/);
  });

  it.each([
    ['access_denied', 'The end-user denied the authorization request.'],
    ['expired_token', 'The auth_req_id has expired. The Client will need to make a new Authentication Request.'],
    [
      'transaction_failed',
      'The OpenID Provider encountered an unexpected condition that prevented it from successfully completing the transaction.',
    ],
  ] as const)('pushes %s with its §12 description', (error, description) => {
    expect(notificationPayload({ kind: 'push_error', error }, authReqId, tokens)).toEqual({
      auth_req_id: authReqId,
      error,
      error_description: description,
    });
  });
});
