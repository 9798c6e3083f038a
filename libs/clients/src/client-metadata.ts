import { type EgressPolicyChecker, type Resolver, systemResolver } from '@backchannel/egress';
import type {
  CertificateSubjectMember,
  ClientMetadata,
  ClientSigningAlgorithm,
  HintKind,
  TokenDeliveryMode,
  TokenEndpointAuthMethod,
} from '@backchannel/events';
import {
  CIBA_GRANT_TYPE,
  InvalidClientMetadata,
  OFFLINE_ACCESS,
  REFRESH_TOKEN_GRANT_TYPE,
  AUTHORIZATION_DETAILS_TYPE,
  SCOPE_TOKEN,
  hasDisguisingCharacters,
  isResourceIndicator,
} from '@backchannel/oauth';
import { z } from 'zod';
import { isIP } from 'node:net';
import { CERTIFICATE_SUBJECT_MEMBERS, parseDistinguishedName } from './client-certificate.js';
import { CLIENT_SIGNING_ALGORITHMS, parseClientJwks, signingAlgorithmOf } from './client-keys.js';
import { FAPI_CIBA_AUTH_METHODS, applyFapiCibaProfile } from './fapi-ciba-profile.js';

/** Delivery modes a client may register. */
export const SUPPORTED_DELIVERY_MODES: readonly TokenDeliveryMode[] = ['poll', 'ping', 'push'];

/** Every client authentication method this server implements; a deployment offers those its settings allow. */
const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const satisfies readonly TokenEndpointAuthMethod[];

/**
 * The methods a client may register here, as discovery lists them: the certificate-based ones only
 * where client certificates can reach us (mTLS enabled), tls_client_auth only with authorities to
 * check them against (TLS_CLIENT_CA_FILE).
 */
export function supportedAuthMethods(
  mtls: { enabled: boolean; clientCaFile: string | null },
  fapiCiba = false,
): TokenEndpointAuthMethod[] {
  return AUTH_METHODS.filter((method) => {
    if (fapiCiba && !FAPI_CIBA_AUTH_METHODS.includes(method)) return false;
    if (method === 'self_signed_tls_client_auth') return mtls.enabled;
    if (method === 'tls_client_auth') return mtls.enabled && mtls.clientCaFile !== null;
    return true;
  });
}

/** What a deployment accepts at registration, beyond the metadata's own rules. */
export interface RegistrationOptions {
  /** Delivery modes accepted (a FAPI deployment refuses push); default: all three. */
  deliveryModes?: readonly TokenDeliveryMode[];
  /** Client authentication methods accepted (see supportedAuthMethods); default: those needing no settings. */
  authMethods?: readonly TokenEndpointAuthMethod[];
  /** Every client follows the FAPI-CIBA profile (BACKCHANNEL_FAPI_CIBA); otherwise those that register it. */
  fapiCiba?: boolean;
  /** Client certificates can reach this server (what certificate-bound tokens need). */
  mtlsEnabled?: boolean;
}

const DEFAULT_AUTH_METHODS = supportedAuthMethods({ enabled: false, clientCaFile: null });
const GRANT_TYPES = [CIBA_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE] as const;
const DELIVERY_MODES = ['poll', 'ping', 'push'] as const satisfies readonly TokenDeliveryMode[];
const HINT_KINDS = ['login_hint', 'id_token_hint', 'login_hint_token'] as const satisfies readonly HintKind[];

/** What client assertions may be signed with: the key algorithms, and HS256 for client_secret_jwt (RFC 7523). */
export const ASSERTION_ALGORITHMS: [string, ...string[]] = ['HS256', ...CLIENT_SIGNING_ALGORITHMS];

/** The most authorization-detail types, or resources, one client lists. */
const MAX_LISTED = 20;

/** The member-by-member rules; the rules that relate members follow in validateClientMetadata. */
const clientMetadataMembers = z.object(
  {
    client_name: z
      .string({ error: 'client_name is required and must be a string' })
      .trim()
      .min(1, 'client_name must not be empty')
      .max(200, 'client_name must be at most 200 characters')
      // shown on the user's device as the one who asks: nothing may hide, fake or reorder it
      .refine(
        (name) => !hasDisguisingCharacters(name),
        'client_name must not contain control, bidirectional or invisible formatting characters',
      ),
    token_endpoint_auth_method: z
      .enum(AUTH_METHODS, { error: (issue) => notSupported('token_endpoint_auth_method', issue.input, AUTH_METHODS) })
      .default('client_secret_basic'),
    grant_types: z
      .array(z.enum(GRANT_TYPES, { error: (issue) => notSupported('grant_types value', issue.input, GRANT_TYPES) }), {
        error: 'grant_types must be an array of strings',
      })
      .default([CIBA_GRANT_TYPE])
      // Refresh tokens are only ever issued by the CIBA grant, so a client without it could do nothing.
      .refine((grantTypes) => grantTypes.includes(CIBA_GRANT_TYPE), `grant_types must include ${CIBA_GRANT_TYPE}`)
      .transform((grantTypes) => [...new Set(grantTypes)]),
    scope: z
      .string({ error: 'scope must be a string' })
      .default('openid')
      .transform((scope) => scope.split(' '))
      .refine(
        (tokens) => tokens.every((token) => SCOPE_TOKEN.test(token)),
        'scope must be scope tokens separated by single spaces (RFC 6749 section 3.3)',
      )
      .refine((tokens) => tokens.includes('openid'), 'scope must include openid')
      .transform((tokens) => [...new Set(tokens)].join(' ')),
    backchannel_token_delivery_mode: z.enum(DELIVERY_MODES, {
      error: (issue) =>
        issue.input === undefined
          ? `backchannel_token_delivery_mode is required for the ${CIBA_GRANT_TYPE} grant`
          : notSupported('backchannel_token_delivery_mode', issue.input, DELIVERY_MODES),
    }),
    backchannel_client_notification_endpoint: z
      .string({ error: 'backchannel_client_notification_endpoint must be a string' })
      .optional(),
    backchannel_user_code_parameter: z
      .boolean({ error: 'backchannel_user_code_parameter must be a boolean' })
      .default(false),
    jwks: z.unknown().optional(),
    jwks_uri: z
      .string({ error: 'jwks_uri must be a string' })
      .max(2000, 'jwks_uri must be at most 2000 characters')
      .optional(),
    token_endpoint_auth_signing_alg: z
      .enum(ASSERTION_ALGORITHMS, {
        error: (issue) => notSupported('token_endpoint_auth_signing_alg', issue.input, ASSERTION_ALGORITHMS),
      })
      .optional(),
    backchannel_allowed_hints: z
      .array(
        z.enum(HINT_KINDS, {
          error: (issue) => notSupported('backchannel_allowed_hints value', issue.input, HINT_KINDS),
        }),
        { error: 'backchannel_allowed_hints must be an array of hint names' },
      )
      .min(1, 'backchannel_allowed_hints must name at least one hint')
      .transform((hints) => [...new Set(hints)])
      .optional(),
    backchannel_authentication_request_signing_alg: z
      .enum(CLIENT_SIGNING_ALGORITHMS as [string, ...string[]], {
        error: (issue) =>
          notSupported('backchannel_authentication_request_signing_alg', issue.input, CLIENT_SIGNING_ALGORITHMS),
      })
      .optional(),
    ...(Object.fromEntries(
      CERTIFICATE_SUBJECT_MEMBERS.map((member) => [
        member,
        z
          .string({ error: `${member} must be a string` })
          .min(1, `${member} must not be empty`)
          .max(1000, `${member} must be at most 1000 characters`)
          .optional(),
      ]),
    ) as Record<(typeof CERTIFICATE_SUBJECT_MEMBERS)[number], z.ZodOptional<z.ZodString>>),
    tls_client_certificate_bound_access_tokens: z
      .boolean({ error: 'tls_client_certificate_bound_access_tokens must be a boolean' })
      .optional(),
    dpop_bound_access_tokens: z.boolean({ error: 'dpop_bound_access_tokens must be a boolean' }).optional(),
    authorization_details_types: z
      .array(
        z
          .string({ error: 'authorization_details_types must be an array of strings' })
          .regex(
            AUTHORIZATION_DETAILS_TYPE,
            'each authorization_details_types value must be 1 to 64 printable ASCII characters without spaces',
          ),
        { error: 'authorization_details_types must be an array of strings' },
      )
      .max(MAX_LISTED, `authorization_details_types must list at most ${MAX_LISTED} types`)
      .transform((types) => [...new Set(types)])
      .optional(),
    backchannel_allowed_resources: z
      .array(
        z
          .string({ error: 'backchannel_allowed_resources must be an array of strings' })
          .refine(
            isResourceIndicator,
            'each backchannel_allowed_resources value must be an absolute URI without a fragment',
          ),
        { error: 'backchannel_allowed_resources must be an array of strings' },
      )
      .max(MAX_LISTED, `backchannel_allowed_resources must list at most ${MAX_LISTED} resources`)
      .transform((resources) => [...new Set(resources)])
      .optional(),
    backchannel_fapi_ciba: z.boolean({ error: 'backchannel_fapi_ciba must be a boolean' }).default(false),
    // Members this server does not act on are dropped (RFC 7591 §2), except those a client counts on:
    // a signing algorithm we would not use, an encryption we would not apply, a response type we do not serve.
    id_token_signed_response_alg: z
      .literal('ES256', { error: 'id_token_signed_response_alg must be ES256, the algorithm of our ID tokens' })
      .optional(),
    id_token_encrypted_response_alg: z
      .never({ error: 'id_token_encrypted_response_alg is not supported: ID tokens are signed, not encrypted' })
      .optional(),
    id_token_encrypted_response_enc: z
      .never({ error: 'id_token_encrypted_response_enc is not supported: ID tokens are signed, not encrypted' })
      .optional(),
    response_types: z
      .array(z.unknown(), { error: 'response_types must be empty: CIBA clients use no response type' })
      .max(0, 'response_types must be empty: CIBA clients use no response type')
      .optional(),
  },
  { error: 'client metadata must be a JSON object' },
);

/**
 * RFC 7591 client metadata -> the normalized metadata to store. Unknown members are dropped
 * (RFC 7591 §2); every refusal is an InvalidClientMetadata naming the member at fault. The
 * notification endpoint's URL is checked against the egress policy here, its addresses by
 * validateClientRegistration. `options` narrow what this deployment accepts.
 */
export function validateClientMetadata(
  input: unknown,
  egress: EgressPolicyChecker,
  options: RegistrationOptions = {},
): ClientMetadata {
  const {
    deliveryModes: acceptedModes = SUPPORTED_DELIVERY_MODES,
    authMethods = DEFAULT_AUTH_METHODS,
    fapiCiba = false,
    mtlsEnabled = false,
  } = options;
  const parsed = clientMetadataMembers.safeParse(input);
  if (!parsed.success) throw new InvalidClientMetadata(parsed.error.issues[0]!.message);
  const {
    backchannel_token_delivery_mode: mode,
    backchannel_client_notification_endpoint: endpoint,
    ...members
  } = parsed.data;
  if (!acceptedModes.includes(mode)) {
    throw new InvalidClientMetadata(`backchannel_token_delivery_mode '${mode}' is not supported yet`);
  }
  if (!authMethods.includes(members.token_endpoint_auth_method)) {
    throw new InvalidClientMetadata(
      `token_endpoint_auth_method '${members.token_endpoint_auth_method}' is not enabled on this server (enabled: ${authMethods.join(', ')})`,
    );
  }
  const metadata: ClientMetadata = {
    client_name: members.client_name,
    token_endpoint_auth_method: members.token_endpoint_auth_method,
    grant_types: members.grant_types,
    scope: members.scope,
    backchannel_token_delivery_mode: mode,
    ...notificationEndpoint(mode, endpoint, egress),
    backchannel_user_code_parameter: members.backchannel_user_code_parameter,
    ...(members.id_token_signed_response_alg && { id_token_signed_response_alg: members.id_token_signed_response_alg }),
    ...(members.backchannel_allowed_hints && { backchannel_allowed_hints: members.backchannel_allowed_hints }),
    ...clientKeys(members, egress),
    ...certificateBinding(members, mode),
    ...dpopBinding(members.dpop_bound_access_tokens, mode),
    ...(members.authorization_details_types?.length && {
      authorization_details_types: members.authorization_details_types,
    }),
    ...(members.backchannel_allowed_resources?.length && {
      backchannel_allowed_resources: members.backchannel_allowed_resources,
    }),
  };
  // OIDC Core §11: offline_access asks for a refresh token, which only this grant issues
  if (metadata.scope.split(' ').includes(OFFLINE_ACCESS) && !metadata.grant_types.includes(REFRESH_TOKEN_GRANT_TYPE)) {
    throw new InvalidClientMetadata(`scope offline_access needs the ${REFRESH_TOKEN_GRANT_TYPE} grant in grant_types`);
  }
  if (!fapiCiba && !members.backchannel_fapi_ciba) return metadata;
  return applyFapiCibaProfile(metadata, {
    mtlsEnabled,
    boundTokensDeclined: members.tls_client_certificate_bound_access_tokens === false,
  });
}

/**
 * validateClientMetadata, then every address the notification endpoint's host resolves to: a
 * private, loopback or link-local one refuses the registration unless the policy allows it. A
 * name that does not resolve yet is accepted; every delivery resolves and checks it again.
 */
export async function validateClientRegistration(
  input: unknown,
  egress: EgressPolicyChecker,
  options: RegistrationOptions & { resolve?: Resolver } = {},
): Promise<ClientMetadata> {
  const { resolve = systemResolver, ...accepted } = options;
  const metadata = validateClientMetadata(input, egress, accepted);
  for (const member of ['backchannel_client_notification_endpoint', 'jwks_uri'] as const) {
    const url = metadata[member];
    if (url === undefined) continue;
    const verdict = await egress.checkNotificationEndpoint(url, resolve);
    if (!verdict.allowed) throw new InvalidClientMetadata(`${member} ${verdict.reason}`);
  }
  return metadata;
}

/**
 * The client's keys and what it signs with: private_key_jwt and self_signed_tls_client_auth need
 * keys, by value (jwks) or by reference (jwks_uri, an https URL under the egress policy), never
 * both (RFC 7591 §2); each registered signing algorithm (of assertions, of authentication
 * requests) needs a key for it among keys given by value (those at a jwks_uri are checked when used).
 */
function clientKeys(
  members: {
    token_endpoint_auth_method: string;
    jwks?: unknown;
    jwks_uri?: string;
    token_endpoint_auth_signing_alg?: string;
    backchannel_authentication_request_signing_alg?: string;
  },
  egress: EgressPolicyChecker,
): Pick<
  ClientMetadata,
  'jwks' | 'jwks_uri' | 'token_endpoint_auth_signing_alg' | 'backchannel_authentication_request_signing_alg'
> {
  const {
    token_endpoint_auth_method: method,
    jwks,
    jwks_uri: jwksUri,
    token_endpoint_auth_signing_alg: assertionAlg,
    backchannel_authentication_request_signing_alg: requestAlg,
  } = members;
  if (jwks !== undefined && jwksUri !== undefined) {
    throw new InvalidClientMetadata('jwks and jwks_uri must not both be registered');
  }
  if (jwksUri !== undefined) {
    const syntax = egress.checkEndpointSyntax(jwksUri);
    if (!syntax.allowed) throw new InvalidClientMetadata(`jwks_uri ${syntax.reason}`);
  }
  const hasKeys = jwks !== undefined || jwksUri !== undefined;
  const keyBased = method === 'private_key_jwt';
  if (keyBased && !hasKeys) throw new InvalidClientMetadata('jwks or jwks_uri is required for private_key_jwt');
  if (method === 'self_signed_tls_client_auth' && !hasKeys) {
    throw new InvalidClientMetadata(
      'jwks or jwks_uri is required for self_signed_tls_client_auth: its certificate as x5c of a key',
    );
  }
  if (method === 'client_secret_jwt') {
    if (assertionAlg !== undefined && assertionAlg !== 'HS256') {
      throw new InvalidClientMetadata('token_endpoint_auth_signing_alg must be HS256 for client_secret_jwt');
    }
  } else if (!keyBased && assertionAlg !== undefined) {
    throw new InvalidClientMetadata(
      'token_endpoint_auth_signing_alg is only for private_key_jwt and client_secret_jwt',
    );
  } else if (assertionAlg === 'HS256') {
    throw new InvalidClientMetadata('token_endpoint_auth_signing_alg HS256 is only for client_secret_jwt');
  }
  const keys = jwks === undefined ? undefined : parseClientJwks(jwks);
  if (keys && method === 'self_signed_tls_client_auth' && !keys.keys.some((key) => key.x5c !== undefined)) {
    throw new InvalidClientMetadata('jwks must hold the self-signed certificate as x5c of a key');
  }
  for (const [member, alg] of [
    ['token_endpoint_auth_signing_alg', keyBased ? assertionAlg : undefined],
    ['backchannel_authentication_request_signing_alg', requestAlg],
  ] as const) {
    if (alg === undefined || jwksUri !== undefined) continue;
    if (!keys) throw new InvalidClientMetadata(`${member} needs the client's public keys in jwks or at jwks_uri`);
    if (!keys.keys.some((key) => signingAlgorithmOf(key) === alg)) {
      throw new InvalidClientMetadata(`jwks has no key for ${member} ${alg}`);
    }
  }
  return {
    ...(keys && { jwks: keys }),
    ...(jwksUri !== undefined && { jwks_uri: jwksUri }),
    ...(assertionAlg !== undefined && {
      token_endpoint_auth_signing_alg: assertionAlg as ClientSigningAlgorithm | 'HS256',
    }),
    ...(requestAlg !== undefined && {
      backchannel_authentication_request_signing_alg: requestAlg as ClientSigningAlgorithm,
    }),
  };
}

/**
 * RFC 8705: a tls_client_auth client registers exactly one way its certificate's subject is
 * recognised, and no other client registers any. Certificate-bound access tokens need a token
 * request to take the certificate from: push mode has none (its tokens are minted on approval).
 */
function certificateBinding(
  members: Partial<Record<CertificateSubjectMember, string>> & {
    token_endpoint_auth_method: string;
    tls_client_certificate_bound_access_tokens?: boolean;
  },
  mode: TokenDeliveryMode,
): Pick<ClientMetadata, CertificateSubjectMember | 'tls_client_certificate_bound_access_tokens'> {
  const registered = CERTIFICATE_SUBJECT_MEMBERS.filter((member) => members[member] !== undefined);
  if (members.token_endpoint_auth_method === 'tls_client_auth') {
    if (registered.length !== 1) {
      throw new InvalidClientMetadata(`tls_client_auth needs exactly one of ${CERTIFICATE_SUBJECT_MEMBERS.join(', ')}`);
    }
    const member = registered[0]!;
    if (member === 'tls_client_auth_subject_dn' && parseDistinguishedName(members[member]!, ',') === null) {
      throw new InvalidClientMetadata(
        'tls_client_auth_subject_dn must be a distinguished name like CN=client,O=Example',
      );
    }
    if (member === 'tls_client_auth_san_ip' && !isIP(members[member]!)) {
      throw new InvalidClientMetadata('tls_client_auth_san_ip must be an IPv4 or IPv6 address');
    }
  } else if (registered.length > 0) {
    throw new InvalidClientMetadata(`${registered[0]} is only for tls_client_auth`);
  }
  const bound = members.tls_client_certificate_bound_access_tokens;
  if (bound && mode === 'push') {
    throw new InvalidClientMetadata(
      'tls_client_certificate_bound_access_tokens is not available in push mode: its tokens are not requested over TLS',
    );
  }
  return {
    ...Object.fromEntries(registered.map((member) => [member, members[member]])),
    ...(bound && { tls_client_certificate_bound_access_tokens: true }),
  };
}

/** RFC 9449 §5.2: DPoP binds the tokens of a token request, which push mode does not have. */
function dpopBinding(
  bound: boolean | undefined,
  mode: TokenDeliveryMode,
): Pick<ClientMetadata, 'dpop_bound_access_tokens'> {
  if (bound && mode === 'push') {
    throw new InvalidClientMetadata(
      'dpop_bound_access_tokens is not available in push mode: its tokens are not requested with a DPoP proof',
    );
  }
  return bound ? { dpop_bound_access_tokens: true } : {};
}

/** CIBA §4: ping and push need an https endpoint to notify (http only if the policy allows it); poll clients are never called. */
function notificationEndpoint(
  mode: TokenDeliveryMode,
  endpoint: string | undefined,
  egress: EgressPolicyChecker,
): Pick<ClientMetadata, 'backchannel_client_notification_endpoint'> {
  switch (mode) {
    case 'poll':
      if (endpoint !== undefined) {
        throw new InvalidClientMetadata(
          'backchannel_client_notification_endpoint must not be registered for the poll mode',
        );
      }
      return {};
    case 'ping':
    case 'push': {
      if (endpoint === undefined) {
        throw new InvalidClientMetadata(`backchannel_client_notification_endpoint is required for the ${mode} mode`);
      }
      const syntax = egress.checkEndpointSyntax(endpoint);
      if (!syntax.allowed) throw new InvalidClientMetadata(`backchannel_client_notification_endpoint ${syntax.reason}`);
      return { backchannel_client_notification_endpoint: endpoint };
    }
    default: {
      const unknownMode: never = mode;
      throw new Error(`unhandled delivery mode ${String(unknownMode)}`);
    }
  }
}

/**
 * Names the rejected value in the description only when it is short and uses characters RFC 6749
 * §5.2 allows there (no quotes, backslashes or control characters).
 */
function notSupported(member: string, input: unknown, supported: readonly string[]): string {
  return typeof input === 'string' && /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(input)
    ? `${member} '${input}' is not supported (supported: ${supported.join(', ')})`
    : `${member} must be one of ${supported.join(', ')}`;
}
