import type { ClientMetadata } from '@backchannel/events';
import { REFRESH_TOKEN_GRANT_TYPE } from '@backchannel/oauth';

export interface RegisteredClient {
  clientId: string;
  /** Hex SHA-256 of the client secret (shown once, at registration); null: the client has keys, no secret. */
  secretSha256: string | null;
  /** client_secret_jwt: the secret, sealed (PayloadSealer, bound to the client's stream); else null. */
  sealedSecret: string | null;
  metadata: ClientMetadata;
  /** ISO-8601 instant. */
  registeredAt: string;
  /** When it was disabled (ISO-8601); absent while it is enabled. A disabled client authenticates nowhere. */
  disabledAt?: string;
  /** After a secret rotation with a grace period: the previous secret's digest, accepted until `validUntil`. */
  previousSecret?: { secretSha256: string; validUntil: string };
}

/** Whether the client may act now: registered and not disabled. */
export function clientEnabled(client: RegisteredClient | null): client is RegisteredClient {
  return client !== null && client.disabledAt === undefined;
}

/** The client as the admin API shows it (RFC 7591 §3.2.1 names), never with its secret or digest. */
export function clientRegistrationResponse(client: RegisteredClient): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(Date.parse(client.registeredAt) / 1000),
    // RFC 7591: required when a secret was issued; 0 = it does not expire.
    ...((client.secretSha256 !== null || client.sealedSecret !== null) && { client_secret_expires_at: 0 }),
    ...client.metadata,
    // our own member: the admin API shows a disabled client as such
    ...(client.disabledAt !== undefined && { disabled_at: client.disabledAt }),
  };
}

/** Whether a client's consents start refresh token families: it registered the refresh_token grant. */
export function receivesRefreshTokens(client: RegisteredClient): boolean {
  return client.metadata.grant_types.includes(REFRESH_TOKEN_GRANT_TYPE);
}
