import type { AuthorizationDetail, HintKind, RequestedClaims, TokenDeliveryMode } from '@backchannel/events';
import { InvalidRequest, InvalidScope } from './oauth-errors.js';
import { requiredParameter, spaceDelimitedValues, type FormParameters } from './form-parameters.js';
import { OFFLINE_ACCESS, parseScope } from './scope-parameter.js';
import { requestedResources } from './resource-parameter.js';
import { parseAuthorizationDetails } from './authorization-details.js';
import { parseClaimsParameter } from './claims-parameter.js';
import { assertDisplayableBindingMessage } from './binding-message.js';
import { B64TOKEN } from './token-syntax.js';

export interface BackchannelAuthenticationRequest {
  /** De-duplicated, in the order sent. */
  scope: string[];
  acrValues: string[];
  hint: { kind: HintKind; value: string };
  bindingMessage: string | null;
  requestedExpiry: number | null;
  clientNotificationToken: string | null;
  /** Returned as given: this server advertises backchannel_user_code_parameter_supported=false. */
  userCode: string | null;
  /** RFC 8707: the access token's audiences; empty: the issuer's. */
  resources: string[];
  /** RFC 9396; undefined when none were asked. */
  authorizationDetails: AuthorizationDetail[] | undefined;
  /** OIDC Core §5.5; undefined when the claims parameter was not sent. */
  requestedClaims: RequestedClaims | undefined;
}

export interface BackchannelRequestPolicy {
  /** The client's registered scopes. */
  allowedScopes: readonly string[];
  /** The client's token delivery mode. */
  deliveryMode: TokenDeliveryMode;
  /** FAPI-CIBA 5.2.2-2: the client must send a binding_message (its profile says so). */
  bindingMessageRequired?: boolean;
  /** RFC 8707: the resources the client may ask for (its registered ones and the issuer). */
  allowedResources?: readonly string[];
  /** RFC 9396: the authorization-detail types the client registered. */
  allowedAuthorizationDetailTypes?: readonly string[];
  /** The client has the refresh_token grant, so it may ask for offline_access. */
  refreshTokenGrant?: boolean;
}

const HINT_KINDS: readonly HintKind[] = ['login_hint', 'login_hint_token', 'id_token_hint'];
const MAX_LOGIN_HINT_CODE_POINTS = 256;
const MAX_JWT_HINT_LENGTH = 8192;
/** Three base64url parts (RFC 7515 §7.1), none empty, within the length cap. */
const COMPACT_JWS = new RegExp(`^(?=.{1,${MAX_JWT_HINT_LENGTH}}$)[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`);
/** A positive integer in decimal digits only: no sign, decimals or exponent. */
const REQUESTED_EXPIRY = /^[0-9]{1,9}$/;
/** RFC 6750 §2.1 b64token. */
const MAX_CLIENT_NOTIFICATION_TOKEN_LENGTH = 1024;
/**
 * Bounds what a request stores and every device is shown: far more than any deployment
 * defines (this server acts on two), far less than the body limit allows.
 */
const MAX_ACR_VALUES = 10;
const MAX_ACR_VALUE_LENGTH = 256;

/**
 * Checklist D-2. CIBA leaves a request without openid unspecified; this server answers
 * invalid_scope, as the checklist recommends, because it always issues an ID token.
 */
function scopeOf(params: FormParameters, policy: BackchannelRequestPolicy): string[] {
  const scope = parseScope(params.get('scope') ?? '');
  if (scope.length === 0) throw new InvalidRequest('The scope parameter is required.');
  if (!scope.includes('openid')) throw new InvalidScope('The scope must include openid.');
  if (!scope.every((value) => policy.allowedScopes.includes(value))) {
    throw new InvalidScope('The scope includes a value this client may not request.');
  }
  // also when registered before this rule: without the grant no refresh token could honour it
  if (scope.includes(OFFLINE_ACCESS) && !policy.refreshTokenGrant) {
    throw new InvalidScope('offline_access needs the refresh_token grant, which this client does not have.');
  }
  return scope;
}

/** OIDC Core §3.1.2.1: space-separated, in order of preference; capped in count and length. */
function acrValuesOf(params: FormParameters): string[] {
  const values = spaceDelimitedValues(params.get('acr_values'));
  if (values.length > MAX_ACR_VALUES || values.some((value) => value.length > MAX_ACR_VALUE_LENGTH)) {
    throw new InvalidRequest(
      `The acr_values must be at most ${MAX_ACR_VALUES} values of at most ${MAX_ACR_VALUE_LENGTH} characters each.`,
    );
  }
  return values;
}

/** Checklist F-1: exactly one hint. Only login_hint is resolved so far. */
function hintOf(params: FormParameters): BackchannelAuthenticationRequest['hint'] {
  const sent = HINT_KINDS.filter((kind) => params.has(kind));
  if (sent.length !== 1) {
    throw new InvalidRequest('Exactly one of login_hint, login_hint_token and id_token_hint is required.');
  }
  const [kind] = sent as [HintKind];
  const value = requiredParameter(params, kind);
  if (kind === 'login_hint' && [...value].length > MAX_LOGIN_HINT_CODE_POINTS) {
    throw new InvalidRequest(`The login_hint is longer than ${MAX_LOGIN_HINT_CODE_POINTS} characters.`);
  }
  // login_hint_token and id_token_hint are JWTs: verified where the keys are (BcAuthorizeHandler).
  if (kind !== 'login_hint' && !COMPACT_JWS.test(value)) {
    throw new InvalidRequest(`The ${kind} is not a signed JWT (at most ${MAX_JWT_HINT_LENGTH} characters).`);
  }
  return { kind, value };
}

/** Checklist H. */
function bindingMessageOf(params: FormParameters, required: boolean): string | null {
  const message = params.get('binding_message');
  if (message === undefined) {
    if (required) throw new InvalidRequest('A binding_message is required: this client follows the FAPI-CIBA profile.');
    return null;
  }
  assertDisplayableBindingMessage(message);
  return message;
}

/** Checklist I-1. */
function requestedExpiryOf(params: FormParameters): number | null {
  const value = params.get('requested_expiry');
  if (value === undefined) return null;
  const seconds = Number(value);
  if (!REQUESTED_EXPIRY.test(value) || seconds === 0) {
    throw new InvalidRequest('The requested_expiry must be a positive integer of at most 9 digits.');
  }
  return seconds;
}

/** Checklist D-3: required for ping and push clients, and a bearer credential of at most 1024 characters. */
function clientNotificationTokenOf(params: FormParameters, deliveryMode: TokenDeliveryMode): string | null {
  const token = params.get('client_notification_token');
  if (token === undefined) {
    if (deliveryMode === 'poll') return null;
    throw new InvalidRequest('The client_notification_token is required for ping and push clients.');
  }
  if (token.length > MAX_CLIENT_NOTIFICATION_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    throw new InvalidRequest(
      `The client_notification_token must be a bearer token of at most ${MAX_CLIENT_NOTIFICATION_TOKEN_LENGTH} characters.`,
    );
  }
  return token;
}

/**
 * The parameters of a /bc-authorize request (CIBA §7.1), checked in order; the first failed check
 * throws its OAuth error. Unknown parameters are ignored (checklist D-9). A signed request is
 * opened before (AuthenticationRequestParameters in libs/clients): these are its claims then.
 */
export function parseBackchannelAuthenticationRequest(
  params: FormParameters,
  policy: BackchannelRequestPolicy,
): BackchannelAuthenticationRequest {
  return {
    scope: scopeOf(params, policy),
    acrValues: acrValuesOf(params),
    hint: hintOf(params),
    bindingMessage: bindingMessageOf(params, policy.bindingMessageRequired ?? false),
    requestedExpiry: requestedExpiryOf(params),
    clientNotificationToken: clientNotificationTokenOf(params, policy.deliveryMode),
    userCode: params.get('user_code') ?? null,
    resources: requestedResources(params.get('resource'), policy.allowedResources ?? []),
    authorizationDetails: parseAuthorizationDetails(
      params.get('authorization_details'),
      policy.allowedAuthorizationDetailTypes ?? [],
    ),
    requestedClaims: parseClaimsParameter(params.get('claims')),
  };
}
