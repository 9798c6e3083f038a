import type { RequestedClaims } from '@backchannel/events';
import { InvalidRequest } from './oauth-errors.js';
import { isJsonObject, parseJsonParameter } from './json-parameter.js';

const MAX_JSON_LENGTH = 4096;
const MAX_CLAIMS_PER_TARGET = 32;
/** A claim name as OIDC and the IANA JWT claims registry spell them (and URIs for private claims). */
const CLAIM_NAME = /^[\x21-\x7E]{1,128}$/;
const TARGETS = ['userinfo', 'id_token'] as const;

/**
 * OIDC Core §5.5: the `claims` request parameter, reduced to the claim names asked for at each
 * target (userinfo, id_token). Each claim's request is null or an object whose `essential`, `value`
 * and `values` are checked for shape; this server releases the claims it holds and does not match
 * values (§5.5.1 lets it ignore them), so only the names are kept. Members other than userinfo and
 * id_token are ignored, as §5.5 asks. Absent: none asked.
 */
export function parseClaimsParameter(value: string | undefined): RequestedClaims | undefined {
  if (value === undefined) return undefined;
  const parsed = parseJsonParameter('claims', value, MAX_JSON_LENGTH, (description) => new InvalidRequest(description));
  if (!isJsonObject(parsed)) throw new InvalidRequest('The claims parameter must be a JSON object.');
  const requested: RequestedClaims = { userinfo: [], id_token: [] };
  for (const target of TARGETS) {
    const member = parsed[target];
    if (member === undefined) continue;
    if (!isJsonObject(member)) throw new InvalidRequest(`The claims parameter's ${target} member must be an object.`);
    const names = Object.keys(member);
    if (names.length > MAX_CLAIMS_PER_TARGET) {
      throw new InvalidRequest(`The claims parameter asks for more than ${MAX_CLAIMS_PER_TARGET} ${target} claims.`);
    }
    for (const name of names) {
      if (!CLAIM_NAME.test(name)) throw new InvalidRequest(`The claims parameter names a malformed ${target} claim.`);
      assertIndividualClaimRequest(member[name], target);
    }
    requested[target] = names;
  }
  return requested;
}

/** §5.5.1: null, or an object with an optional boolean `essential`, a `value`, or an array of `values`. */
function assertIndividualClaimRequest(request: unknown, target: string): void {
  if (request === null) return;
  const wellFormed =
    isJsonObject(request) &&
    (request.essential === undefined || typeof request.essential === 'boolean') &&
    (request.values === undefined || Array.isArray(request.values));
  if (!wellFormed) {
    throw new InvalidRequest(
      `Each ${target} claim in the claims parameter must be null or an object with essential, value or values.`,
    );
  }
}
