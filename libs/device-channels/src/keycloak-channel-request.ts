import type { AuthRequested } from '@backchannel/events';

/**
 * The JSON body Keycloak's HttpAuthenticationChannelProvider POSTs (its AuthenticationChannelRequest),
 * field for field and nothing more, so an existing backend that maps it strictly still reads it:
 * `scope` space-separated, `binding_message`, `login_hint` (what the authenticator knows the user
 * by: Keycloak sends the username), `is_consent_required`, `acr_values` space-separated. Absent
 * values are left out, as Keycloak's JSON mapper does. No client credential, ever.
 */
export interface KeycloakChannelRequest {
  scope: string;
  binding_message?: string;
  login_hint: string;
  is_consent_required: boolean;
  acr_values?: string;
}

export function keycloakChannelRequest(request: AuthRequested['data'], loginHint: string): KeycloakChannelRequest {
  return {
    scope: request.scope.join(' '),
    ...(request.bindingMessage === null ? {} : { binding_message: request.bindingMessage }),
    login_hint: loginHint,
    // Backchannel always asks the user (Keycloak: the client's "consent required" setting)
    is_consent_required: true,
    ...(request.acrValues.length === 0 ? {} : { acr_values: request.acrValues.join(' ') }),
  };
}

/** The results a channel backend reports at the callback (Keycloak's AuthenticationChannelResponse.Status). */
export const KEYCLOAK_CHANNEL_RESULTS = ['SUCCEED', 'UNAUTHORIZED', 'CANCELLED'] as const;

export type KeycloakChannelResult = (typeof KEYCLOAK_CHANNEL_RESULTS)[number];
