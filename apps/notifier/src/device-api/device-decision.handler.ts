import { BadRequestException, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { type AuthRequestCommand, authRequestDecider } from '@backchannel/auth-request';
import { type EventStoreTransaction, PostgresEventStore, handleCommand } from '@backchannel/event-store';
import type { AuthenticationEvidence, DenialReason } from '@backchannel/events';
import { type PendingRequest, PendingRequestsRepository } from '../pending-requests/pending-requests.repository.js';
import { decisionError, unknownRequest } from './decision-error.js';
import type { AuthenticatedDevice } from './device-token.guard.js';

const decisionSchema = z.strictObject({
  decision: z.enum(['approve', 'deny', 'not_me']),
  /** The scopes the user granted: a subset of those requested, space-separated or as a list. */
  scope: z.union([z.string(), z.array(z.string())]).optional(),
});

export type DecisionBody = z.infer<typeof decisionSchema>;

/** "This wasn't me" denies like deny, and is recorded apart so push bombing shows in the audit trail. */
const DENIAL_REASONS = { deny: 'user_denied', not_me: 'not_recognized' } as const satisfies Record<
  Exclude<DecisionBody['decision'], 'approve'>,
  DenialReason
>;

function grantedScope(scope: DecisionBody['scope']): string[] | undefined {
  if (scope === undefined) return undefined;
  return (Array.isArray(scope) ? scope : scope.split(' ')).filter(Boolean);
}

/** How the user answered on a device and, when approving, what they granted and how they proved who they are. */
export interface DeviceAnswer {
  decision: DecisionBody['decision'];
  /** Approve only: the scopes granted, when fewer than requested. */
  grantedScope?: string[];
  /** Approve only: recorded with ConsentGiven; none when the device token alone vouches for the user. */
  evidence?: AuthenticationEvidence;
}

/**
 * The user's answer from a device. The request must belong to the device's user (otherwise it is
 * reported as unknown); the decider refuses a second decision (409) and a late one (410). The
 * read model is updated in the same transaction as the event, so the request leaves the list at once.
 */
@Injectable()
export class DeviceDecisionHandler {
  constructor(
    private readonly store: PostgresEventStore,
    private readonly pendingRequests: PendingRequestsRepository,
  ) {}

  /** The device API's decision: the body as sent, the device token as the only proof. */
  async decide(device: AuthenticatedDevice, requestId: string, body: unknown, correlationId: string): Promise<void> {
    const parsed = decisionSchema.safeParse(body);
    if (!parsed.success) {
      throw new BadRequestException(
        'The body must be {"decision": "approve" | "deny" | "not_me"} with an optional "scope" when approving.',
      );
    }
    const pending = await this.requestOf(device, requestId);
    const { decision, scope } = parsed.data;
    await this.answer(device, pending, { decision, grantedScope: grantedScope(scope) }, correlationId);
  }

  /** The request, when it is the device's user's; another user's reads as unknown (404). */
  async requestOf(device: AuthenticatedDevice, requestId: string): Promise<PendingRequest> {
    const pending = await this.pendingRequests.find(requestId);
    if (!pending || pending.subject !== device.subject) throw unknownRequest();
    return pending;
  }

  /** Records the answer; `alsoInTransaction` runs in the transaction that appends it. */
  async answer(
    device: AuthenticatedDevice,
    pending: PendingRequest,
    answer: DeviceAnswer,
    correlationId: string,
    alsoInTransaction?: (tx: EventStoreTransaction) => Promise<void>,
  ): Promise<void> {
    const { subject, deviceId } = device;
    const metadata = { now: new Date().toISOString(), correlationId, actor: `device:${deviceId}` };
    const command: AuthRequestCommand =
      answer.decision === 'approve'
        ? {
            type: 'GiveConsent',
            data: { subject, deviceId, grantedScope: answer.grantedScope, evidence: answer.evidence ?? null },
            metadata,
          }
        : { type: 'DenyConsent', data: { subject, deviceId, reason: DENIAL_REASONS[answer.decision] }, metadata };
    const result = await handleCommand(this.store, pending.streamId, authRequestDecider, command, {
      inTransaction: async (tx) => {
        await this.pendingRequests.setStatus(
          tx,
          pending.requestId,
          answer.decision === 'approve' ? 'approved' : 'denied',
        );
        await alsoInTransaction?.(tx);
      },
    });
    if (result.outcome === 'rejected') throw decisionError(result.rejection);
  }
}
