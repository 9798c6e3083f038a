import type { AuthorizationDetail } from '@backchannel/events';
import { InvalidAuthorizationDetails } from './oauth-errors.js';
import { isJsonObject, parseJsonParameter } from './json-parameter.js';
import { hasDisguisingCharacters } from './displayable-text.js';
import { AUTHORIZATION_DETAILS_TYPE } from './token-syntax.js';

const MAX_DETAILS = 10;
const MAX_JSON_LENGTH = 8192;
/** Deep enough for amounts and accounts (RFC 9396's examples nest three levels), shallow enough to show. */
const MAX_DEPTH = 5;

/** RFC 9396 §2.2: the common data fields, which hold strings (or arrays of strings). */
const STRING_ARRAY_FIELDS = ['locations', 'actions', 'datatypes', 'privileges'] as const;

/**
 * RFC 9396 §2 and §5: the `authorization_details` of a request, a JSON array of objects whose
 * `type` is one the client registered (`authorization_details_types`) and whose common fields have
 * their defined shapes; any other member is the type's own and kept as sent. Size and depth are
 * capped, and every string must be displayable as the binding message must, so what the user is
 * shown is exactly what the token will carry. Absent: none asked.
 */
export function parseAuthorizationDetails(
  value: string | undefined,
  allowedTypes: readonly string[],
): AuthorizationDetail[] | undefined {
  if (value === undefined) return undefined;
  const parsed = parseJsonParameter(
    'authorization_details',
    value,
    MAX_JSON_LENGTH,
    (description) => new InvalidAuthorizationDetails(description),
  );
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_DETAILS) {
    throw new InvalidAuthorizationDetails(
      `The authorization_details must be a JSON array of 1 to ${MAX_DETAILS} objects.`,
    );
  }
  return parsed.map((detail) => authorizationDetailOf(detail, allowedTypes));
}

function authorizationDetailOf(detail: unknown, allowedTypes: readonly string[]): AuthorizationDetail {
  if (!isJsonObject(detail)) throw new InvalidAuthorizationDetails('Each authorization detail must be a JSON object.');
  const { type } = detail;
  if (typeof type !== 'string' || !AUTHORIZATION_DETAILS_TYPE.test(type)) {
    throw new InvalidAuthorizationDetails(
      'Each authorization detail needs a type: 1 to 64 printable ASCII characters without spaces.',
    );
  }
  if (!allowedTypes.includes(type)) {
    throw new InvalidAuthorizationDetails('An authorization detail has a type this client may not ask for.');
  }
  for (const field of STRING_ARRAY_FIELDS) {
    const member = detail[field];
    if (member !== undefined && !(Array.isArray(member) && member.every((item) => typeof item === 'string'))) {
      throw new InvalidAuthorizationDetails(`The ${field} of an authorization detail must be an array of strings.`);
    }
  }
  if (detail.identifier !== undefined && typeof detail.identifier !== 'string') {
    throw new InvalidAuthorizationDetails('The identifier of an authorization detail must be a string.');
  }
  assertDisplayable(detail, 1);
  return detail as AuthorizationDetail;
}

/** Every string (keys too) shown faithfully (the binding message's rule), within the depth cap. */
function assertDisplayable(value: unknown, depth: number): void {
  if (typeof value === 'string') {
    if (hasDisguisingCharacters(value)) {
      throw new InvalidAuthorizationDetails(
        'The authorization_details hold control, bidirectional or invisible formatting characters.',
      );
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) {
    throw new InvalidAuthorizationDetails(`The authorization_details nest deeper than ${MAX_DEPTH} levels.`);
  }
  for (const [key, member] of Object.entries(value)) {
    assertDisplayable(key, depth);
    assertDisplayable(member, depth + 1);
  }
}
