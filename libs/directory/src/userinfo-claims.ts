import type { User } from './user.js';

/**
 * OIDC Core §5.4: the claims each standard scope grants, of those the directory keeps. `address`
 * grants nothing until the directory keeps addresses.
 */
const CLAIMS_OF_SCOPE: Readonly<Record<string, readonly (keyof UserinfoClaims)[]>> = {
  profile: ['name', 'preferred_username'],
  email: ['email'],
  phone: ['phone_number'],
};

export interface UserinfoClaims {
  sub: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  phone_number?: string;
}

/**
 * What userinfo answers for a user and the scopes granted: `sub`, and each granted claim the user
 * has; `requestedClaims` (the claims parameter's) are released even when no scope grants them.
 */
export function userinfoClaims(
  user: User,
  grantedScopes: readonly string[],
  requestedClaims: readonly string[] = [],
): UserinfoClaims {
  const known: Omit<UserinfoClaims, 'sub'> = {
    ...(user.name !== null && { name: user.name }),
    ...(user.username !== null && { preferred_username: user.username }),
    ...(user.email !== null && { email: user.email }),
    ...(user.phoneNumber !== null && { phone_number: user.phoneNumber }),
  };
  const granted = new Set<string>([
    ...grantedScopes.flatMap((scope) => CLAIMS_OF_SCOPE[scope] ?? []),
    ...requestedClaims,
  ]);
  return {
    sub: user.subject,
    ...Object.fromEntries(Object.entries(known).filter(([claim]) => granted.has(claim as keyof UserinfoClaims))),
  };
}

/** The claims userinfo may answer, for discovery's `claims_supported`. */
export const USERINFO_CLAIMS: readonly string[] = ['sub', ...new Set(Object.values(CLAIMS_OF_SCOPE).flat())];
