import type { DueClientNotification } from '@backchannel/auth-request';
import type { PushErrorCode, PushedTokens } from '@backchannel/events';

/** The error descriptions of CIBA §12 (and §11 for expired_token). */
export const PUSH_ERROR_DESCRIPTIONS: Readonly<Record<PushErrorCode, string>> = {
  access_denied: 'The end-user denied the authorization request.',
  expired_token: 'The auth_req_id has expired. The Client will need to make a new Authentication Request.',
  transaction_failed:
    'The OpenID Provider encountered an unexpected condition that prevented it from successfully completing the transaction.',
};

export type NotificationPayload =
  | { auth_req_id: string }
  | ({ auth_req_id: string } & PushedTokens)
  | { auth_req_id: string; error: PushErrorCode; error_description: string };

/**
 * The JSON body POSTed to the client's notification endpoint: a ping carries the auth_req_id and
 * nothing else (CIBA §10.2, checklist O.2), a push the tokens (§10.3.1) or the error (§12).
 * `pushedTokens` is read only for push_tokens, which cannot be sent without them.
 */
export function notificationPayload(
  notification: DueClientNotification,
  authReqId: string,
  pushedTokens: PushedTokens | null,
): NotificationPayload {
  switch (notification.kind) {
    case 'ping':
      return { auth_req_id: authReqId };
    case 'push_tokens':
      if (!pushedTokens) throw new Error('the tokens to push are missing from TokensIssued');
      return { auth_req_id: authReqId, ...pushedTokens };
    case 'push_error':
      return {
        auth_req_id: authReqId,
        error: notification.error,
        error_description: PUSH_ERROR_DESCRIPTIONS[notification.error],
      };
    default: {
      const unknownKind: never = notification;
      throw new Error(`unhandled notification ${(unknownKind as { kind: string }).kind}`);
    }
  }
}
