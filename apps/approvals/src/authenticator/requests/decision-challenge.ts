import { createHash } from 'node:crypto';

/** What the user can answer in the authenticator; `not_me` is "this wasn't me". */
export const AUTHENTICATOR_DECISIONS = ['approve', 'deny', 'not_me'] as const;
export type AuthenticatorDecision = (typeof AUTHENTICATOR_DECISIONS)[number];

/** What the device showed, what the user chose, and the server's single-use nonce. */
export interface DecisionChallengeInput {
  requestId: string;
  scope: readonly string[];
  bindingMessage: string | null;
  decision: AuthenticatorDecision;
  nonce: string;
}

/** Names this use of SHA-256, so a digest made for anything else can never pass for a decision challenge. */
const DECISION_CHALLENGE_CONTEXT = 'backchannel-authenticator-decision-v1';

/**
 * The WebAuthn challenge of a decision: SHA-256 over a canonical encoding of the request as
 * recorded, the decision and the nonce. The encoding is a JSON array in a fixed order, so every
 * field is delimited and escaped and two different inputs never encode alike; a passkey signature
 * over it therefore proves which request, scopes, binding message and answer the user saw.
 */
export function decisionChallenge(input: DecisionChallengeInput): Uint8Array {
  const canonical = JSON.stringify([
    DECISION_CHALLENGE_CONTEXT,
    input.requestId,
    [...input.scope],
    input.bindingMessage,
    input.decision,
    input.nonce,
  ]);
  return new Uint8Array(createHash('sha256').update(canonical, 'utf8').digest());
}

/** What ConsentGiven records of the challenge: base64url SHA-256 of its bytes. */
export function challengeHash(challenge: Uint8Array): string {
  return createHash('sha256').update(challenge).digest('base64url');
}
