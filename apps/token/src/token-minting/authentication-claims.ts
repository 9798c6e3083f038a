import { achievedAcr } from '@backchannel/auth-request';
import type { AuthenticationEvidence } from '@backchannel/events';

/** How the user authenticated, as ID token claims. */
export interface AuthenticationClaims {
  amr?: string[];
  acr?: string;
}

/**
 * `amr` (RFC 8176 values) and `acr` (achievedAcr: the one rule for it) from what ConsentGiven
 * recorded; `auth_time` is its authenticatedAt, set by the minter. Only what Backchannel itself
 * verified is claimed:
 * - a passkey (webauthn): `hwk` (proof of possession of a key) and `user` (user presence), with
 *   `mfa` when the authenticator also verified the user (PIN, biometrics);
 * - an external channel (Keycloak-compatible, webhook): nothing, because it does not say how it
 *   authenticated the user, and RFC 8176 has no value for "someone else did";
 * - the device API's bearer token alone (no evidence): the device acr, no amr.
 */
export function authenticationClaims(evidence: AuthenticationEvidence | null): AuthenticationClaims {
  const acr = achievedAcr(evidence) ?? undefined;
  if (evidence === null) return { acr };
  switch (evidence.method) {
    case 'webauthn':
      return { amr: evidence.userVerified ? ['hwk', 'user', 'mfa'] : ['hwk', 'user'], acr };
    case 'channel':
      return {};
    default: {
      const unknownEvidence: never = evidence;
      throw new Error(`unknown authentication evidence ${(unknownEvidence as { method: string }).method}`);
    }
  }
}
