import type { ClientMetadata } from '@backchannel/events';

export interface RegisteredClient {
  clientId: string;
  /** Hex SHA-256 of the client secret; the secret itself is shown once, at registration. */
  secretSha256: string;
  metadata: ClientMetadata;
  /** ISO-8601 instant. */
  registeredAt: string;
}

/** The client as the admin API shows it (RFC 7591 §3.2.1 names), never with its secret or digest. */
export function clientRegistrationResponse(client: RegisteredClient): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(Date.parse(client.registeredAt) / 1000),
    // RFC 7591: 0 = the secret does not expire.
    client_secret_expires_at: 0,
    ...client.metadata,
  };
}
