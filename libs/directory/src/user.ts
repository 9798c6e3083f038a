import { PROFILE_CLAIM_NAMES, type ProfileClaims } from './profile-claims.js';

/** A user as the admin API gives it, before the directory holds it. */
export interface NewUser {
  subject: string;
  username: string | null;
  /** Lower-cased. */
  email: string | null;
  /** E.164. */
  phoneNumber: string | null;
  name: string | null;
  claims: ProfileClaims;
}

export interface User extends NewUser {
  /** When the user's claims last changed (ISO-8601), set by the directory. */
  updatedAt: string;
  /** When an administrator disabled the user (ISO-8601); absent while enabled. */
  disabledAt?: string;
}

/** The admin API representation (OIDC claim names; a claim the user does not have is null). */
export function userResponse(user: User): Record<string, unknown> {
  return {
    sub: user.subject,
    username: user.username,
    email: user.email,
    phone_number: user.phoneNumber,
    name: user.name,
    ...Object.fromEntries(PROFILE_CLAIM_NAMES.map((claim) => [claim, user.claims[claim] ?? null])),
    updated_at: user.updatedAt,
    ...(user.disabledAt !== undefined && { disabled_at: user.disabledAt }),
  };
}
