import type { JsonPostOutcome } from '@backchannel/egress';
import type { ChannelOutcome } from './device-channel.js';

/** Client errors that say "not now" rather than "never": request timeout, too early, too many requests. */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 425, 429]);

/**
 * A channel's view of one POST (`peer` names who answered, for the detail). A success the
 * channel's contract does not accept (Keycloak's channel accepts only 201) is a rejection;
 * so are other 4xx and redirects (never followed); 408, 425, 429, 5xx and network errors are
 * retried.
 */
export function channelOutcomeOf(
  outcome: JsonPostOutcome,
  peer: string,
  accepts: (status: number) => boolean = () => true,
): ChannelOutcome {
  switch (outcome.kind) {
    case 'delivered':
      return accepts(outcome.status)
        ? { kind: 'delivered' }
        : { kind: 'rejected', detail: `${peer} answered ${outcome.status}, which its contract does not accept` };
    case 'client_error':
      return TRANSIENT_CLIENT_ERRORS.has(outcome.status)
        ? { kind: 'retryable', detail: `${peer} answered ${outcome.status}` }
        : { kind: 'rejected', detail: `${peer} answered ${outcome.status}` };
    case 'redirect':
      return { kind: 'rejected', detail: `${peer} answered ${outcome.status}; redirects are not followed` };
    case 'refused_address':
      return { kind: 'refused_address', detail: outcome.detail };
    case 'retryable':
      return { kind: 'retryable', detail: outcome.detail };
    default: {
      const unknownOutcome: never = outcome;
      throw new Error(`unhandled outcome ${(unknownOutcome as { kind: string }).kind}`);
    }
  }
}
