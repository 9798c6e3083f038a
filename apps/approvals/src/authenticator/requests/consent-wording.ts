import type { AuthorizationDetail } from '@backchannel/events';
import type { UserRequest } from '@backchannel/user-requests';

/** The standard OpenID Connect scopes in the words the authenticator shows the user. */
const SCOPE_WORDING: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are',
  profile: 'Your name and profile',
  email: 'Your email address',
  phone: 'Your phone number',
  address: 'Your postal address',
  offline_access: 'Keep access when you are not using it',
};

/** The OpenID Connect claims (Core §5.1) a client may ask for one by one, in plain words. */
const CLAIM_WORDING: Readonly<Record<string, string>> = {
  name: 'Your full name',
  given_name: 'Your first name',
  family_name: 'Your last name',
  middle_name: 'Your middle name',
  nickname: 'Your nickname',
  preferred_username: 'Your username',
  profile: 'Your profile page',
  picture: 'Your picture',
  website: 'Your website',
  gender: 'Your gender',
  birthdate: 'Your date of birth',
  zoneinfo: 'Your time zone',
  locale: 'Your language and region',
  updated_at: 'When your profile last changed',
  email: 'Your email address',
  email_verified: 'Whether your email address is verified',
  phone_number: 'Your phone number',
  phone_number_verified: 'Whether your phone number is verified',
  address: 'Your postal address',
};

/** RFC 9396 §2.2: the common data fields of an authorization detail, labelled. */
const COMMON_FIELD_LABELS: Readonly<Record<string, string>> = {
  actions: 'Actions',
  locations: 'Where',
  datatypes: 'Kinds of data',
  identifier: 'Which one',
  privileges: 'Privileges',
};

/** What a request asks of the user, each item in plain words, as the authenticator shows it. */
export interface ConsentView {
  scopes: { scope: string; description: string }[];
  /** RFC 9396: each detail as asked, with its type's description and its fields as label and text. */
  authorization_details: {
    type: string;
    description: string;
    fields: { label: string; value: string }[];
    detail: AuthorizationDetail;
  }[];
  /** The claims asked for one by one (claims parameter), wherever they are to be returned. */
  claims: { claim: string; description: string }[];
}

/**
 * A request in plain words: the standard scopes and claims in this server's words, API scopes and
 * detail types in the descriptions recorded with the request (the administrator's, when it was
 * made), anything undescribed as it was requested. The passkey's challenge covers this view.
 */
export function consentView(request: UserRequest): ConsentView {
  const wording = request.wording ?? { scopes: {}, authorizationDetailTypes: {} };
  const claims = request.requestedClaims ?? { userinfo: [], id_token: [] };
  return {
    scopes: request.scope.map((scope) => ({ scope, description: describeScope(scope, wording.scopes) })),
    authorization_details: (request.authorizationDetails ?? []).map((detail) => ({
      type: detail.type,
      description: ownValue(wording.authorizationDetailTypes, detail.type) ?? detail.type,
      fields: detailFields(detail),
      detail,
    })),
    claims: [...new Set([...claims.userinfo, ...claims.id_token])].map((claim) => ({
      claim,
      description: ownValue(CLAIM_WORDING, claim) ?? claim,
    })),
  };
}

/** A scope in plain words; a scope nobody described is shown as it was requested. */
export function describeScope(scope: string, apiScopes: Readonly<Record<string, string>> = {}): string {
  return ownValue(SCOPE_WORDING, scope) ?? ownValue(apiScopes, scope) ?? scope;
}

/**
 * Every member but `type`, common fields first, each as a label and one line of text; the others
 * in the order stored (PostgreSQL's jsonb puts shorter names first), which every view shares.
 */
function detailFields(detail: AuthorizationDetail): { label: string; value: string }[] {
  const members = Object.entries(detail).filter(([name]) => name !== 'type');
  const common = members.filter(([name]) => Object.hasOwn(COMMON_FIELD_LABELS, name));
  const own = members.filter(([name]) => !Object.hasOwn(COMMON_FIELD_LABELS, name));
  return [
    ...common.map(([name, value]) => ({ label: COMMON_FIELD_LABELS[name]!, value: asText(value) })),
    ...own.map(([name, value]) => ({ label: labelOf(name), value: asText(value) })),
  ];
}

/** `instructedAmount` or `instructed_amount` -> "Instructed amount". */
function labelOf(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.length === 0 ? name : words[0]!.toUpperCase() + words.slice(1);
}

/** A JSON value as one line: lists joined by commas, objects as "label: value" pairs. */
function asText(value: unknown): string {
  if (Array.isArray(value)) return value.map(asText).join(', ');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([name, member]) => `${labelOf(name)}: ${asText(member)}`)
      .join('; ');
  }
  return String(value);
}

function ownValue(record: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
