import type { AuthRequested } from '@backchannel/events';

/**
 * What the authenticator's service worker shows in its notification: who asks, the binding
 * message, and until when. Never the auth_req_id; the request id opens the request screen.
 */
export interface WebPushMessage {
  requestId: string;
  clientName: string;
  bindingMessage: string | null;
  expiresAt: string;
}

export function webPushMessage(request: AuthRequested['data']): WebPushMessage {
  const { requestId, clientName, bindingMessage, expiresAt } = request;
  return { requestId, clientName, bindingMessage, expiresAt };
}

/**
 * How long the push service should keep the message (RFC 8030 TTL, whole seconds): until the
 * request expires, since it is worthless after that.
 */
export function timeToLiveSeconds(expiresAt: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(expiresAt) - now.getTime()) / 1_000));
}
