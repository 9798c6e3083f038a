import type { AuthenticationEvidence } from '@backchannel/events';

/**
 * Authentication context classes (`acr`) this server achieves, weakest first:
 * - approval on a registered device: the device token, or a passkey without user verification
 *   (possession of something the user was given);
 * - `phr` (OpenID EAP): a passkey with user verification, phishing resistant and two factors.
 * An external channel (Keycloak-compatible, webhook) achieves none this server could vouch for.
 */
export const DEVICE_ACR = 'urn:backchannel:acr:device';
export const PHISHING_RESISTANT_ACR = 'phr';
export const SUPPORTED_ACR_VALUES: readonly string[] = [DEVICE_ACR, PHISHING_RESISTANT_ACR];

/** The acr an approval with this evidence achieved; null: none this server can claim. */
export function achievedAcr(evidence: AuthenticationEvidence | null): string | null {
  if (evidence === null) return DEVICE_ACR;
  switch (evidence.method) {
    case 'webauthn':
      return evidence.userVerified ? PHISHING_RESISTANT_ACR : DEVICE_ACR;
    case 'channel':
      return null;
    default: {
      const unknownEvidence: never = evidence;
      throw new Error(`unknown authentication evidence ${(unknownEvidence as { method: string }).method}`);
    }
  }
}

/**
 * Whether an approval that achieved `achieved` satisfies the request's `acr_values`. Values this
 * server does not know are the client's wishes, not conditions (CIBA §7.1: acr_values are
 * requested, not essential); those it knows are taken as the least it will accept, so a client
 * that asks for `phr` only never gets tokens from a weaker approval. A stronger class satisfies
 * a weaker one.
 */
export function meetsRequestedAcr(acrValues: readonly string[], achieved: string | null): boolean {
  const known = acrValues.filter((value) => SUPPORTED_ACR_VALUES.includes(value));
  if (known.length === 0) return true;
  if (achieved === null) return false;
  const weakestAccepted = Math.min(...known.map((value) => SUPPORTED_ACR_VALUES.indexOf(value)));
  return SUPPORTED_ACR_VALUES.indexOf(achieved) >= weakestAccepted;
}

/** Whether the request asks for user verification (the authenticator then requires it). */
export function requiresUserVerification(acrValues: readonly string[]): boolean {
  return !meetsRequestedAcr(acrValues, DEVICE_ACR);
}
