import { InvalidScope } from './oauth-errors.js';
import { spaceDelimitedValues } from './form-parameters.js';
import { SCOPE_TOKEN } from './token-syntax.js';

/**
 * A scope parameter's tokens, de-duplicated, in the order sent. Throws InvalidScope when a token
 * is malformed. An all-space value yields no tokens: the caller decides whether that is allowed.
 */
export function parseScope(value: string): string[] {
  const tokens = spaceDelimitedValues(value);
  if (!tokens.every((token) => SCOPE_TOKEN.test(token))) throw new InvalidScope('The scope parameter is malformed.');
  return [...new Set(tokens)];
}

/**
 * The OpenID Connect scopes (Core §5.4) clients may register and ask for, as discovery lists them;
 * any other scope token a client registers is its own API's (not listed).
 */
export const STANDARD_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'phone', 'address'];

/** OIDC Core §11: asks for a refresh token; only clients with the refresh_token grant may ask. */
export const OFFLINE_ACCESS = 'offline_access';

/**
 * The scopes whose meaning, and so whose wording to the user, is the server's own: the OpenID
 * Connect scopes and `offline_access` (Core §11). Every other scope token is an API's.
 */
export const RESERVED_SCOPES: readonly string[] = [...STANDARD_SCOPES, OFFLINE_ACCESS];
