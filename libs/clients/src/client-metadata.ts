import { type EgressPolicyChecker, type Resolver, systemResolver } from '@backchannel/egress';
import type { ClientMetadata, ClientSigningAlgorithm, HintKind, TokenDeliveryMode } from '@backchannel/events';
import { CIBA_GRANT_TYPE, InvalidClientMetadata, SCOPE_TOKEN } from '@backchannel/oauth';
import { z } from 'zod';
import { CLIENT_SIGNING_ALGORITHMS, parseClientJwks, signingAlgorithmOf } from './client-keys.js';

export const REFRESH_TOKEN_GRANT_TYPE = 'refresh_token';

/** Delivery modes a client may register. */
export const SUPPORTED_DELIVERY_MODES: readonly TokenDeliveryMode[] = ['poll', 'ping', 'push'];

/** Client authentication methods a client may register (discovery lists the same). */
export const SUPPORTED_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
const AUTH_METHODS = SUPPORTED_AUTH_METHODS;
const GRANT_TYPES = [CIBA_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE] as const;
const DELIVERY_MODES = ['poll', 'ping', 'push'] as const satisfies readonly TokenDeliveryMode[];
const HINT_KINDS = ['login_hint', 'id_token_hint', 'login_hint_token'] as const satisfies readonly HintKind[];

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */

/** The member-by-member rules; the rules that relate members follow in validateClientMetadata. */
const clientMetadataMembers = z.object(
  {
    client_name: z
      .string({ error: 'client_name is required and must be a string' })
      .trim()
      .min(1, 'client_name must not be empty')
      .max(200, 'client_name must be at most 200 characters'),
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
      .default(false)
      .refine(
        (userCode) => !userCode,
        'backchannel_user_code_parameter true is not supported: this server does not support user codes',
      ),
    jwks: z.unknown().optional(),
    // Refused rather than dropped (RFC 7591 §2 would allow dropping it): the client counts on its keys.
    jwks_uri: z.never({ error: 'jwks_uri is not supported yet: register the public keys by value in jwks' }).optional(),
    token_endpoint_auth_signing_alg: z
      .enum(CLIENT_SIGNING_ALGORITHMS as [string, ...string[]], {
        error: (issue) => notSupported('token_endpoint_auth_signing_alg', issue.input, CLIENT_SIGNING_ALGORITHMS),
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
  },
  { error: 'client metadata must be a JSON object' },
);

/**
 * RFC 7591 client metadata -> the normalized metadata to store. Unknown members are dropped
 * (RFC 7591 §2); every refusal is an InvalidClientMetadata naming the member at fault. The
 * notification endpoint's URL is checked against the egress policy here, its addresses by
 * validateClientRegistration. `acceptedModes` lets a deployment narrow the delivery modes
 * further (FAPI forbids push).
 */
export function validateClientMetadata(
  input: unknown,
  egress: EgressPolicyChecker,
  acceptedModes: readonly TokenDeliveryMode[] = SUPPORTED_DELIVERY_MODES,
): ClientMetadata {
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
  return {
    client_name: members.client_name,
    token_endpoint_auth_method: members.token_endpoint_auth_method,
    grant_types: members.grant_types,
    scope: members.scope,
    backchannel_token_delivery_mode: mode,
    ...notificationEndpoint(mode, endpoint, egress),
    backchannel_user_code_parameter: members.backchannel_user_code_parameter,
    ...(members.backchannel_allowed_hints && { backchannel_allowed_hints: members.backchannel_allowed_hints }),
    ...clientKeys(members),
  };
}

/**
 * validateClientMetadata, then every address the notification endpoint's host resolves to: a
 * private, loopback or link-local one refuses the registration unless the policy allows it. A
 * name that does not resolve yet is accepted; every delivery resolves and checks it again.
 */
export async function validateClientRegistration(
  input: unknown,
  egress: EgressPolicyChecker,
  resolve: Resolver = systemResolver,
): Promise<ClientMetadata> {
  const metadata = validateClientMetadata(input, egress);
  const endpoint = metadata.backchannel_client_notification_endpoint;
  if (endpoint !== undefined) {
    const verdict = await egress.checkNotificationEndpoint(endpoint, resolve);
    if (!verdict.allowed) throw new InvalidClientMetadata(`backchannel_client_notification_endpoint ${verdict.reason}`);
  }
  return metadata;
}

/**
 * The client's keys and what it signs with: private_key_jwt needs keys; each registered signing
 * algorithm (of assertions, of authentication requests) needs a registered key for it.
 */
function clientKeys(members: {
  token_endpoint_auth_method: string;
  jwks?: unknown;
  token_endpoint_auth_signing_alg?: string;
  backchannel_authentication_request_signing_alg?: string;
}): Pick<
  ClientMetadata,
  'jwks' | 'token_endpoint_auth_signing_alg' | 'backchannel_authentication_request_signing_alg'
> {
  const {
    token_endpoint_auth_method: method,
    jwks,
    token_endpoint_auth_signing_alg: assertionAlg,
    backchannel_authentication_request_signing_alg: requestAlg,
  } = members;
  const keyBased = method === 'private_key_jwt';
  if (keyBased && jwks === undefined) throw new InvalidClientMetadata('jwks is required for private_key_jwt');
  if (!keyBased && assertionAlg !== undefined) {
    throw new InvalidClientMetadata('token_endpoint_auth_signing_alg is only for private_key_jwt');
  }
  const keys = jwks === undefined ? undefined : parseClientJwks(jwks);
  for (const [member, alg] of [
    ['token_endpoint_auth_signing_alg', assertionAlg],
    ['backchannel_authentication_request_signing_alg', requestAlg],
  ] as const) {
    if (alg === undefined) continue;
    if (!keys) throw new InvalidClientMetadata(`${member} needs the client's public keys in jwks`);
    if (!keys.keys.some((key) => signingAlgorithmOf(key) === alg)) {
      throw new InvalidClientMetadata(`jwks has no key for ${member} ${alg}`);
    }
  }
  return {
    ...(keys && { jwks: keys }),
    ...(assertionAlg !== undefined && { token_endpoint_auth_signing_alg: assertionAlg as ClientSigningAlgorithm }),
    ...(requestAlg !== undefined && {
      backchannel_authentication_request_signing_alg: requestAlg as ClientSigningAlgorithm,
    }),
  };
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
