export interface User {
  subject: string;
  username: string | null;
  /** Lower-cased. */
  email: string | null;
  /** E.164. */
  phoneNumber: string | null;
  name: string | null;
  /** When an administrator disabled the user (ISO-8601); absent while enabled. */
  disabledAt?: string;
}

/** The admin API representation (OIDC claim names). */
export function userResponse(user: User): Record<string, unknown> {
  return {
    sub: user.subject,
    username: user.username,
    email: user.email,
    phone_number: user.phoneNumber,
    name: user.name,
    ...(user.disabledAt !== undefined && { disabled_at: user.disabledAt }),
  };
}
