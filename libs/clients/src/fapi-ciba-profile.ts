import type { ClientMetadata, ClientSigningAlgorithm, TokenEndpointAuthMethod } from '@backchannel/events';
import { InvalidClient, InvalidClientMetadata, InvalidRequest } from '@backchannel/oauth';
import { CLIENT_SIGNING_ALGORITHMS } from './client-keys.js';
import type { RegisteredClient } from './registered-client.js';

/**
 * The FAPI-CIBA profile (checklist B-7, C-7, E-10, H-3, S-1), decided here for registration and
 * requests alike. A client follows it when it registered `backchannel_fapi_ciba: true` (our own
 * metadata) or when the server does (BACKCHANNEL_FAPI_CIBA=true, which the registry applies to
 * every client it returns, those registered before the switch too).
 */

/** FAPI 1 and FAPI-CIBA: PS256 and ES256 only (no EdDSA, which only FAPI 2 adds). */
export const FAPI_CIBA_ALGORITHMS: readonly ClientSigningAlgorithm[] = ['PS256', 'ES256'];

/** FAPI1-P2 5.2.2-14: private_key_jwt or mutual TLS. */
export const FAPI_CIBA_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
];

export function followsFapiCiba(metadata: Pick<ClientMetadata, 'backchannel_fapi_ciba'>): boolean {
  return metadata.backchannel_fapi_ciba === true;
}

/**
 * Registration under the profile: no push (FAPI-CIBA 5.2.2-3), private_key_jwt or mTLS, PS256 or
 * ES256 for whatever the client signs, signed authentication requests (5.2.2-6), and access
 * tokens bound to the client's certificate (defaulted to true; false is refused), which needs
 * client certificates to reach this server. Returns the metadata marked as following the profile.
 */
export function applyFapiCibaProfile(
  metadata: ClientMetadata,
  context: { mtlsEnabled: boolean; boundTokensDeclined: boolean },
): ClientMetadata {
  const refuse = (description: string) => {
    throw new InvalidClientMetadata(`${description} (FAPI-CIBA profile)`);
  };
  if (metadata.backchannel_token_delivery_mode === 'push') {
    refuse("backchannel_token_delivery_mode 'push' is not allowed: use poll or ping");
  }
  if (!FAPI_CIBA_AUTH_METHODS.includes(metadata.token_endpoint_auth_method)) {
    refuse(`token_endpoint_auth_method must be one of ${FAPI_CIBA_AUTH_METHODS.join(', ')}`);
  }
  const requestAlg = metadata.backchannel_authentication_request_signing_alg;
  if (requestAlg === undefined || !FAPI_CIBA_ALGORITHMS.includes(requestAlg)) {
    refuse(`backchannel_authentication_request_signing_alg is required, ${FAPI_CIBA_ALGORITHMS.join(' or ')}`);
  }
  const assertionAlg = metadata.token_endpoint_auth_signing_alg;
  if (assertionAlg !== undefined && !FAPI_CIBA_ALGORITHMS.includes(assertionAlg as ClientSigningAlgorithm)) {
    refuse(`token_endpoint_auth_signing_alg must be ${FAPI_CIBA_ALGORITHMS.join(' or ')}`);
  }
  if (context.boundTokensDeclined) refuse('tls_client_certificate_bound_access_tokens must be true');
  if (!context.mtlsEnabled) {
    refuse('certificate-bound access tokens need client certificates, and this server has mTLS off');
  }
  return { ...metadata, tls_client_certificate_bound_access_tokens: true, backchannel_fapi_ciba: true };
}

/** What a client may sign with: FAPI-CIBA's algorithms under the profile, else every one we verify. */
export function clientSigningAlgorithms(client: RegisteredClient): readonly ClientSigningAlgorithm[] {
  return followsFapiCiba(client.metadata) ? FAPI_CIBA_ALGORITHMS : CLIENT_SIGNING_ALGORITHMS;
}

/**
 * At both CIBA endpoints, for a client under the profile (one registered before the server
 * switched to it may not conform): a FAPI authentication method.
 */
export function assertFapiCibaClientAuthentication(client: RegisteredClient): void {
  if (
    followsFapiCiba(client.metadata) &&
    !FAPI_CIBA_AUTH_METHODS.includes(client.metadata.token_endpoint_auth_method)
  ) {
    throw new InvalidClient(
      `This client follows the FAPI-CIBA profile: it must authenticate with ${FAPI_CIBA_AUTH_METHODS.join(', ')}; register it again.`,
    );
  }
}

/** At /bc-authorize, for a client under the profile: poll or ping, and a request signed PS256 or ES256. */
export function assertFapiCibaAuthenticationRequest(client: RegisteredClient, form: ReadonlyMap<string, string>): void {
  const { metadata } = client;
  if (!followsFapiCiba(metadata)) return;
  if (metadata.backchannel_token_delivery_mode === 'push') {
    throw new InvalidRequest('This client follows the FAPI-CIBA profile, which does not allow the push mode.');
  }
  const requestAlg = metadata.backchannel_authentication_request_signing_alg;
  if (requestAlg === undefined || !FAPI_CIBA_ALGORITHMS.includes(requestAlg) || !form.has('request')) {
    throw new InvalidRequest(
      `This client follows the FAPI-CIBA profile: its authentication requests must be signed (${FAPI_CIBA_ALGORITHMS.join(' or ')}), in the request parameter.`,
    );
  }
}
