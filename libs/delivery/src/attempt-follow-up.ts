import type { DeliveryFailureReason } from '@backchannel/events';
import type { HttpPostOutcome } from '@backchannel/egress';

/**
 * What one send produced: the HTTP client's outcome, or, for a channel whose recipient can refuse
 * without an HTTP reason, that refusal (a push subscription that cannot be encrypted to, an answer
 * the channel's contract does not accept).
 */
export type DeliveryOutcome = HttpPostOutcome | { kind: 'rejected'; detail: string };

/** The failure reasons an outcome type can lead to: 'rejected' only where the channel can reject. */
export type FailureReasonOf<Outcome extends DeliveryOutcome> =
  | Exclude<DeliveryFailureReason, 'rejected'>
  | (Extract<Outcome, { kind: 'rejected' }> extends never ? never : 'rejected');

/** How a delivery ended: what its outcome event records. */
export type DeliveryResult<Reason extends DeliveryFailureReason = DeliveryFailureReason> =
  | { delivered: true; httpStatus: number; attempts: number }
  | { delivered: false; reason: Reason; httpStatus: number | null; attempts: number; detail: string };

/** What follows one attempt: record how the delivery ended, or try again at `at`. */
export type AttemptFollowUp<Reason extends DeliveryFailureReason = DeliveryFailureReason> =
  { action: 'record'; result: DeliveryResult<Reason> } | { action: 'retry'; at: Date; lastError: string };

/** Client errors that say "not now" rather than "never": request timeout, too early, too many requests. */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 425, 429]);

/** `detail` of failure events and `last_error` of jobs stay short (and never hold a secret). */
const MAX_DETAIL_LENGTH = 200;

/** A failure detail cut to a length fit for an event, a job's last_error and a log line. */
export function shortDetail(detail: string): string {
  return detail.length <= MAX_DETAIL_LENGTH ? detail : `${detail.slice(0, MAX_DETAIL_LENGTH - 1)}…`;
}

/**
 * The wait a Retry-After header asks for (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), in
 * milliseconds from `now`; null when absent or unreadable. A date in the past asks for no wait.
 */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // an HTTP-date names its day and month (Date.parse would also take "-5" for a year)
  const at = /^[A-Za-z]{3}, /.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/**
 * The one classification of an attempt, for client notifications (ping, push) and device channels
 * alike. A 2xx is delivered; a 3xx (never followed), any other 4xx, a refused address and a
 * channel's refusal end the delivery at once; 408, 425, 429, 5xx, any other status and a network
 * failure are tried again after `backoffMs` (or later, when the recipient's Retry-After asks for
 * more), unless that falls after the deadline: then retries are exhausted.
 */
export function followUp<Outcome extends DeliveryOutcome>(
  outcome: Outcome,
  attempts: number,
  now: Date,
  deadline: Date,
  backoffMs: number,
): AttemptFollowUp<FailureReasonOf<Outcome>> {
  const failed = (reason: DeliveryFailureReason, httpStatus: number | null, detail: string) => ({
    action: 'record' as const,
    result: {
      delivered: false as const,
      reason: reason as FailureReasonOf<Outcome>,
      httpStatus,
      attempts,
      detail: shortDetail(detail),
    },
  });
  const retry = (httpStatus: number | null, detail: string, delayMs: number) => {
    const at = new Date(now.getTime() + delayMs);
    return at > deadline
      ? failed('retries_exhausted', httpStatus, detail)
      : { action: 'retry' as const, at, lastError: shortDetail(detail) };
  };
  switch (outcome.kind) {
    case 'answered': {
      const { status } = outcome;
      const detail = `answered ${status}`;
      if (status >= 200 && status < 300)
        return { action: 'record', result: { delivered: true, httpStatus: status, attempts } };
      if (status >= 300 && status < 400) return failed('redirect', status, `${detail}; redirects are not followed`);
      if (status >= 400 && status < 500 && !TRANSIENT_CLIENT_ERRORS.has(status))
        return failed('client_error', status, detail);
      const asked = retryAfterMs(outcome.retryAfter, now);
      return retry(status, detail, Math.max(backoffMs, asked ?? 0));
    }
    case 'unreachable':
      return retry(null, outcome.detail, backoffMs);
    case 'refused_address':
      return failed('refused_address', null, outcome.detail);
    case 'rejected':
      return failed('rejected', null, outcome.detail);
    default: {
      const unknownOutcome: never = outcome;
      throw new Error(`unhandled outcome ${(unknownOutcome as { kind: string }).kind}`);
    }
  }
}
