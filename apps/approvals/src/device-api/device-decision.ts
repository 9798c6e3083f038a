import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import type { DenialReason } from '@backchannel/events';
import type { UserAnswer } from '../answers/answer-recorder.js';

const decisionSchema = z.strictObject({
  decision: z.enum(['approve', 'deny', 'not_me']),
  /** The scopes the user granted: a subset of those requested, space-separated or as a list. */
  scope: z.union([z.string(), z.array(z.string())]).optional(),
});

/** "This wasn't me" denies like deny, and is recorded apart so push bombing shows in the audit trail. */
export const DENIAL_REASONS = { deny: 'user_denied', not_me: 'not_recognized' } as const satisfies Record<
  'deny' | 'not_me',
  DenialReason
>;

/** The device API's decision body, `{ decision, scope? }`, as the answer it records; 400 when malformed. */
export function parseDeviceDecision(body: unknown): UserAnswer {
  const parsed = decisionSchema.safeParse(body);
  if (!parsed.success) {
    throw new BadRequestException(
      'The body must be {"decision": "approve" | "deny" | "not_me"} with an optional "scope" when approving.',
    );
  }
  const { decision, scope } = parsed.data;
  if (decision !== 'approve') return { decision: 'deny', reason: DENIAL_REASONS[decision] };
  // the device token is the only proof: no evidence beyond it
  if (scope === undefined) return { decision, evidence: null };
  return { decision, grantedScope: (Array.isArray(scope) ? scope : scope.split(' ')).filter(Boolean), evidence: null };
}
