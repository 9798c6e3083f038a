import { createHash } from 'node:crypto';
import type { ConsentView } from './consent-wording.js';

/** What the user can answer in the authenticator; `not_me` is "this wasn't me". */
export const AUTHENTICATOR_DECISIONS = ['approve', 'deny', 'not_me'] as const;
export type AuthenticatorDecision = (typeof AUTHENTICATOR_DECISIONS)[number];

/** What the device showed, what the user chose, and the server's single-use nonce. */
export interface DecisionChallengeInput {
  requestId: string;
  /** What the request asks, in the words shown: scopes, authorization details, claims. */
  consent: ConsentView;
  bindingMessage: string | null;
  decision: AuthenticatorDecision;
  nonce: string;
}

/** Names this use of SHA-256, so a digest made for anything else can never pass for a decision challenge. */
const DECISION_CHALLENGE_CONTEXT = 'backchannel-authenticator-decision-v2';

/**
 * The WebAuthn challenge of a decision: SHA-256 over a canonical encoding of the request as
 * recorded and shown, the decision and the nonce. The encoding is a JSON array in a fixed order,
 * with the members of every object sorted, so every field is delimited and escaped and two
 * different inputs never encode alike; a passkey signature over it therefore proves which request,
 * scopes, authorization details, claims and binding message, in which words, and which answer the
 * user saw. (v1, before authorization details: the scope tokens in place of the consent view.)
 */
export function decisionChallenge(input: DecisionChallengeInput): Uint8Array {
  const canonical = JSON.stringify(
    sortedMembers([
      DECISION_CHALLENGE_CONTEXT,
      input.requestId,
      input.consent,
      input.bindingMessage,
      input.decision,
      input.nonce,
    ]),
  );
  return new Uint8Array(createHash('sha256').update(canonical, 'utf8').digest());
}

/** The value with every object's members in code-point order (arrays keep theirs). */
function sortedMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedMembers);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedMembers((value as Record<string, unknown>)[key])]),
  );
}

/** What ConsentGiven records of the challenge: base64url SHA-256 of its bytes. */
export function challengeHash(challenge: Uint8Array): string {
  return createHash('sha256').update(challenge).digest('base64url');
}
