import type { Event } from './envelope.js';
import type { HintKind, TokenDeliveryMode } from './auth-request.events.js';

export type TokenEndpointAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth';

/** RFC 8705 §2.1.2: how a tls_client_auth client's certificate is recognised (exactly one is registered). */
export type CertificateSubjectMember =
  | 'tls_client_auth_subject_dn'
  | 'tls_client_auth_san_dns'
  | 'tls_client_auth_san_uri'
  | 'tls_client_auth_san_ip'
  | 'tls_client_auth_san_email';

/** Algorithms a client may sign its assertions (and later its requests) with: FAPI's, never none or HS*. */
export type ClientSigningAlgorithm = 'PS256' | 'ES256' | 'EdDSA';

/** A public JSON Web Key as registered (RFC 7517 members; checked at registration). */
export interface ClientPublicJwk {
  kty: string;
  kid?: string;
  [member: string]: unknown;
}

/** Registered client metadata (RFC 7591 names), as stored; never includes the secret. */
export interface ClientMetadata {
  client_name: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  scope: string;
  backchannel_token_delivery_mode: TokenDeliveryMode;
  backchannel_client_notification_endpoint?: string;
  backchannel_user_code_parameter: boolean;
  /** The client's public keys, by value (RFC 7591 `jwks`): private_key_jwt assertions are verified with them. */
  jwks?: { keys: ClientPublicJwk[] };
  /** Or where they are published (RFC 7591 `jwks_uri`), fetched when needed; never both. */
  jwks_uri?: string;
  /** When registered, the only algorithm its client assertions may use (HS256 for client_secret_jwt). */
  token_endpoint_auth_signing_alg?: ClientSigningAlgorithm | 'HS256';
  /** Our own metadata: the hints this client may send (absent: all three). */
  backchannel_allowed_hints?: HintKind[];
  /** When registered, its authentication requests must be signed with this algorithm (CIBA §7.1.1). */
  backchannel_authentication_request_signing_alg?: ClientSigningAlgorithm;
  /** tls_client_auth: the one certificate subject member registered (RFC 8705 §2.1.2). */
  tls_client_auth_subject_dn?: string;
  tls_client_auth_san_dns?: string;
  tls_client_auth_san_uri?: string;
  tls_client_auth_san_ip?: string;
  tls_client_auth_san_email?: string;
  /** RFC 8705 §3.4: access tokens bound to the client's TLS certificate (`cnf.x5t#S256`). */
  tls_client_certificate_bound_access_tokens?: boolean;
  /** RFC 9449 §5.2: every token request must carry a DPoP proof, and its access tokens are DPoP-bound (`cnf.jkt`). */
  dpop_bound_access_tokens?: boolean;
  /** When registered: ES256, the one algorithm of our ID tokens. */
  id_token_signed_response_alg?: 'ES256';
  /** Our own metadata: the client follows the FAPI-CIBA profile (see libs/clients fapi-ciba-profile.ts). */
  backchannel_fapi_ciba?: boolean;
  /** RFC 9396 §10.1: the authorization-detail types the client may ask for (absent: none). */
  authorization_details_types?: string[];
  /** Our own metadata: the RFC 8707 resources the client may ask for besides the issuer's (absent: none). */
  backchannel_allowed_resources?: string[];
}

/**
 * A client was registered. The secret is kept only as its SHA-256 digest (hex); a client that
 * authenticates with its keys (private_key_jwt) has none (`null`).
 */
export type ClientRegistered = Event<
  'ClientRegistered',
  {
    clientId: string;
    metadata: ClientMetadata;
    secretSha256: string | null;
    /**
     * client_secret_jwt only: the secret itself, which verifying its HMAC needs, sealed to the
     * client's stream with a key derived from the key-encryption key (absent for other methods).
     */
    sealedSecret?: string | null;
    registeredAt: string;
  }
> & { schemaVersion: 1 };

/** The client changed its metadata (RFC 7592 update); a new secret when its method needed one. */
export type ClientUpdated = Event<
  'ClientUpdated',
  {
    clientId: string;
    metadata: ClientMetadata;
    secretSha256: string | null;
    sealedSecret?: string | null;
    updatedAt: string;
  }
> & { schemaVersion: 1 };

/** The client was deleted (RFC 7592): it authenticates nowhere any more. */
export type ClientDeleted = Event<'ClientDeleted', { clientId: string; deletedAt: string }> & { schemaVersion: 1 };

/**
 * The client was disabled: it authenticates nowhere and its tokens are not accepted until it is
 * enabled again (its refresh token families are kept for that).
 */
export type ClientDisabled = Event<
  'ClientDisabled',
  { clientId: string; reason: string | null; disabledAt: string }
> & {
  schemaVersion: 1;
};

/** A disabled client was enabled again. */
export type ClientEnabled = Event<'ClientEnabled', { clientId: string; enabledAt: string }> & { schemaVersion: 1 };

/**
 * The client's secret was replaced (shown once, to the admin). The previous one still
 * authenticates until `previousSecretValidUntil` (null: not at all), so the client can be
 * redeployed with the new one first.
 */
export type ClientSecretRotated = Event<
  'ClientSecretRotated',
  {
    clientId: string;
    secretSha256: string | null;
    sealedSecret: string | null;
    previousSecretValidUntil: string | null;
    rotatedAt: string;
  }
> & { schemaVersion: 1 };

export type ClientEvent =
  ClientRegistered | ClientUpdated | ClientDeleted | ClientDisabled | ClientEnabled | ClientSecretRotated;

export function clientStreamId(clientId: string): string {
  return `client-${clientId}`;
}
