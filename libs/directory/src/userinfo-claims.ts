import type { ProfileClaims } from './profile-claims.js';
import type { User } from './user.js';

export interface UserinfoClaims extends ProfileClaims {
  sub: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  phone_number?: string;
  /** Seconds since the epoch. */
  updated_at?: number;
}

type ReleasableClaim = Exclude<keyof UserinfoClaims, 'sub'>;

/** OIDC Core §5.4: the claims each standard scope grants. */
const CLAIMS_OF_SCOPE: Readonly<Record<string, readonly ReleasableClaim[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
};

/**
 * What userinfo answers for a user: `sub`, and each claim the user has that a granted scope grants
 * or that the client asked for by name (`requestedClaims`, from the OIDC `claims` request parameter).
 */
export function userinfoClaims(
  user: User,
  grantedScopes: readonly string[],
  requestedClaims: readonly string[] = [],
): UserinfoClaims {
  const held: Omit<UserinfoClaims, 'sub'> = {
    ...(user.name !== null && { name: user.name }),
    ...(user.username !== null && { preferred_username: user.username }),
    ...(user.email !== null && { email: user.email }),
    ...(user.phoneNumber !== null && { phone_number: user.phoneNumber }),
    ...user.claims,
    updated_at: Math.floor(Date.parse(user.updatedAt) / 1000),
  };
  const released = new Set<string>([
    ...grantedScopes.flatMap((scope) => CLAIMS_OF_SCOPE[scope] ?? []),
    ...requestedClaims,
  ]);
  return {
    sub: user.subject,
    ...Object.fromEntries(Object.entries(held).filter(([claim]) => released.has(claim))),
  };
}

/** The claims userinfo may answer, for discovery's `claims_supported`. */
export const USERINFO_CLAIMS: readonly string[] = ['sub', ...new Set(Object.values(CLAIMS_OF_SCOPE).flat())];
