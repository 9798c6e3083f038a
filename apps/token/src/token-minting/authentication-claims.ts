import type { AuthenticationEvidence } from '@backchannel/events';

/** How the user authenticated, as ID token claims. */
export interface AuthenticationClaims {
  amr?: string[];
  acr?: string;
}

/** OpenID Enterprise Authentication Profile: phishing-resistant authentication. */
export const PHISHING_RESISTANT_ACR = 'phr';

/**
 * `amr` (RFC 8176 values) and `acr` from what ConsentGiven recorded; `auth_time` is its
 * authenticatedAt, set by the minter. Only what Backchannel itself verified is claimed:
 * - a passkey (webauthn): `hwk` (proof of possession of a key) and `user` (user presence), with
 *   `mfa` and the phishing-resistant `acr` when the authenticator also verified the user (PIN,
 *   biometrics): a key the user holds plus something the user knows or is, bound to our origin;
 * - an external channel (Keycloak-compatible, webhook): nothing, because it does not say how it
 *   authenticated the user, and RFC 8176 has no value for "someone else did";
 * - the device API's bearer token alone (no evidence): nothing, as before evidence was recorded.
 */
export function authenticationClaims(evidence: AuthenticationEvidence | null): AuthenticationClaims {
  if (evidence === null) return {};
  switch (evidence.method) {
    case 'webauthn':
      return evidence.userVerified
        ? { amr: ['hwk', 'user', 'mfa'], acr: PHISHING_RESISTANT_ACR }
        : { amr: ['hwk', 'user'] };
    case 'channel':
      return {};
    default: {
      const unknownEvidence: never = evidence;
      throw new Error(`unknown authentication evidence ${(unknownEvidence as { method: string }).method}`);
    }
  }
}
