import { InvalidTarget } from './oauth-errors.js';
import { spaceDelimitedValues } from './form-parameters.js';

const MAX_RESOURCES = 10;
const MAX_RESOURCE_LENGTH = 2048;

/**
 * RFC 8707 §2: the `resource` values of a request (repeatable; the form parser keeps them
 * space-delimited), each an absolute URI without a fragment, de-duplicated in the order sent.
 */
export function parseResources(value: string | undefined): string[] {
  const resources = [...new Set(spaceDelimitedValues(value))];
  if (resources.length > MAX_RESOURCES) throw new InvalidTarget(`At most ${MAX_RESOURCES} resources can be asked for.`);
  for (const resource of resources) {
    if (!isResourceIndicator(resource)) {
      throw new InvalidTarget('Each resource must be an absolute URI without a fragment.');
    }
  }
  return resources;
}

/** An absolute URI without a fragment (RFC 8707 §2), as a client registers and asks for one. */
export function isResourceIndicator(value: string): boolean {
  if (value.length > MAX_RESOURCE_LENGTH || value.includes('#') || /[\s\p{Cc}]/u.test(value)) return false;
  return URL.canParse(value);
}

/**
 * The resources of /bc-authorize, each one the client may ask for (its registered resources and
 * the issuer's own, userinfo). None: the access token is for the issuer alone.
 */
export function requestedResources(value: string | undefined, allowed: readonly string[]): string[] {
  const resources = parseResources(value);
  if (!resources.every((resource) => allowed.includes(resource))) {
    throw new InvalidTarget('The request names a resource this client may not ask for.');
  }
  return resources;
}

/**
 * An access token's audience (RFC 8707 §2.2): the resources a token request narrows it to, which
 * must be among those granted, or else every resource granted; the issuer when none was granted.
 */
export function accessTokenAudience(
  granted: readonly string[],
  narrowedTo: readonly string[],
  issuer: string,
): string[] {
  const grantedOrIssuer = granted.length > 0 ? granted : [issuer];
  if (narrowedTo.length === 0) return [...grantedOrIssuer];
  if (!narrowedTo.every((resource) => grantedOrIssuer.includes(resource))) {
    throw new InvalidTarget('The token request names a resource the grant does not include.');
  }
  return [...narrowedTo];
}
