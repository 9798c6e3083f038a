import { BadRequestException, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { type AuthRequestCommand, authRequestDecider } from '@backchannel/auth-request';
import { PostgresEventStore, handleCommand } from '@backchannel/event-store';
import { PendingRequestsRepository } from '../pending-requests/pending-requests.repository.js';
import { decisionError, unknownRequest } from './decision-error.js';
import type { AuthenticatedDevice } from './device-token.guard.js';

const decisionSchema = z.strictObject({
  decision: z.enum(['approve', 'deny']),
  /** The scopes the user granted: a subset of those requested, space-separated or as a list. */
  scope: z.union([z.string(), z.array(z.string())]).optional(),
});

export type DecisionBody = z.infer<typeof decisionSchema>;

function grantedScope(scope: DecisionBody['scope']): string[] | undefined {
  if (scope === undefined) return undefined;
  return (Array.isArray(scope) ? scope : scope.split(' ')).filter(Boolean);
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

  async decide(device: AuthenticatedDevice, requestId: string, body: unknown, correlationId: string): Promise<void> {
    const parsed = decisionSchema.safeParse(body);
    if (!parsed.success) {
      throw new BadRequestException(
        'The body must be {"decision": "approve" | "deny"} with an optional "scope" when approving.',
      );
    }
    const pending = await this.pendingRequests.find(requestId);
    if (!pending || pending.subject !== device.subject) throw unknownRequest();

    const metadata = { now: new Date().toISOString(), correlationId, actor: `device:${device.deviceId}` };
    const command: AuthRequestCommand =
      parsed.data.decision === 'approve'
        ? {
            type: 'GiveConsent',
            data: { subject: device.subject, deviceId: device.deviceId, grantedScope: grantedScope(parsed.data.scope) },
            metadata,
          }
        : { type: 'DenyConsent', data: { subject: device.subject, deviceId: device.deviceId }, metadata };
    const result = await handleCommand(this.store, pending.streamId, authRequestDecider, command, {
      inTransaction: (tx) =>
        this.pendingRequests.setStatus(tx, requestId, parsed.data.decision === 'approve' ? 'approved' : 'denied'),
    });
    if (result.outcome === 'rejected') throw decisionError(result.rejection);
  }
}
