import type { Event } from './envelope.js';
import type { TokenDeliveryMode } from './auth-request.events.js';

export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Registered client metadata (RFC 7591 names), as stored; never includes the secret. */
export interface ClientMetadata {
  client_name: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  scope: string;
  backchannel_token_delivery_mode: TokenDeliveryMode;
  backchannel_client_notification_endpoint?: string;
  backchannel_user_code_parameter: boolean;
}

/** A client was registered. The secret is kept only as its SHA-256 digest (hex). */
export type ClientRegistered = Event<
  'ClientRegistered',
  { clientId: string; metadata: ClientMetadata; secretSha256: string; registeredAt: string }
> & { schemaVersion: 1 };

export type ClientEvent = ClientRegistered;

export function clientStreamId(clientId: string): string {
  return `client-${clientId}`;
}
