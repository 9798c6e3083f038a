import { createHmac } from 'node:crypto';
import type { AuthRequested } from '@backchannel/events';

/** The header that carries the signature of a webhook call. */
export const WEBHOOK_SIGNATURE_HEADER = 'backchannel-signature';

/**
 * The JSON body a webhook device receives: the request as its user should see it, and which of
 * the user's devices it is for. Never the auth_req_id. The device answers with the device API
 * (`POST /device/v1/requests/{requestId}/decision` with its device token).
 */
export interface WebhookMessage {
  type: 'auth_request';
  deviceId: string;
  requestId: string;
  clientName: string;
  scope: string[];
  bindingMessage: string | null;
  expiresAt: string;
}

export function webhookMessage(deviceId: string, request: AuthRequested['data']): WebhookMessage {
  const { requestId, clientName, scope, bindingMessage, expiresAt } = request;
  return { type: 'auth_request', deviceId, requestId, clientName, scope, bindingMessage, expiresAt };
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the device's webhook secret>`,
 * as Stripe signs its webhooks: the receiver recomputes v1 over the raw body, compares in
 * constant time, and refuses a `t` too far from its clock (replays).
 */
export function webhookSignature(secret: string, timestampSeconds: number, body: Buffer): string {
  const signed = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${signed}`;
}
