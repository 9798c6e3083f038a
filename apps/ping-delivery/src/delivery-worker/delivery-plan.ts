import {
  type AuthRequestState,
  type ClientNotificationResult,
  type DueClientNotification,
  clientNotificationDue,
} from '@backchannel/auth-request';
import type { JsonPostOutcome } from '@backchannel/egress';
import { shortDetail } from '@backchannel/messaging';

/** What to do with a claimed job, given the request's state. */
export type DeliveryPlan =
  /** Nothing will ever be sent: the outcome is already recorded, or the request ended unanswered. */
  | { action: 'finish'; why: 'already_recorded' | 'nothing_owed' }
  /** Nothing is due yet: look again at `until` (or sooner, when a decision event wakes the job). */
  | { action: 'wait'; until: Date }
  /** Send `notification`; retries stop at `deadline`. */
  | { action: 'send'; notification: DueClientNotification; deadline: Date };

/** What follows one POST: the outcome to record, or another attempt at `at`. */
export type AttemptFollowUp =
  { action: 'record'; result: ClientNotificationResult } | { action: 'retry'; at: Date; lastError: string };

/**
 * Until when a notification is worth retrying. A ping, the tokens and access_denied are owed from
 * the decision on and worth nothing to the client once the request has expired; the errors that
 * expiry itself causes (expired_token, transaction_failed) get the grace period after it.
 */
export function notificationDeadline(notification: DueClientNotification, expiresAt: Date, graceMs: number): Date {
  const dueAtExpiry =
    notification.kind === 'push_error' &&
    (notification.error === 'expired_token' || notification.error === 'transaction_failed');
  return new Date(expiresAt.getTime() + (dueAtExpiry ? graceMs : 0));
}

/**
 * Decides a claimed job from the request's state at `now`. A decision stamped before expiry may
 * still be on its way when another clock reads the request as expired, so an unanswered request
 * is given up only `graceMs` after its expiry; until then the job waits for expiry, then for the
 * end of the grace period.
 */
export function planDelivery(state: AuthRequestState, now: Date, graceMs: number): DeliveryPlan {
  if (state.status === 'Empty') return { action: 'finish', why: 'nothing_owed' };
  if (state.clientNotification !== null) return { action: 'finish', why: 'already_recorded' };
  const expiresAt = new Date(state.request.expiresAt);
  const notification = clientNotificationDue(state, now.toISOString());
  if (notification) {
    return { action: 'send', notification, deadline: notificationDeadline(notification, expiresAt, graceMs) };
  }
  const givenUpAt = new Date(expiresAt.getTime() + graceMs);
  // an unparseable expiry compares false everywhere: finish rather than wait forever
  if (!(now < givenUpAt)) return { action: 'finish', why: 'nothing_owed' };
  return { action: 'wait', until: now < expiresAt ? expiresAt : givenUpAt };
}

/**
 * Maps the outcome of attempt number `attempts` to what follows (CIBA §10.2, §10.3): a 2xx is
 * delivered; a 4xx, a redirect or a refused address ends delivery at once; anything else is tried
 * again `retryDelayMs` after `now`, unless that falls after the deadline.
 */
export function followUp(
  outcome: JsonPostOutcome,
  attempts: number,
  now: Date,
  deadline: Date,
  retryDelayMs: number,
): AttemptFollowUp {
  const failed = (
    reason: Extract<ClientNotificationResult, { delivered: false }>['reason'],
    httpStatus: number | null,
    detail: string,
  ): AttemptFollowUp => ({
    action: 'record',
    result: { delivered: false, reason, httpStatus, attempts, detail: shortDetail(detail) },
  });
  switch (outcome.kind) {
    case 'delivered':
      return { action: 'record', result: { delivered: true, httpStatus: outcome.status, attempts } };
    case 'client_error':
      return failed('client_error', outcome.status, `the endpoint answered ${outcome.status}`);
    case 'redirect':
      return failed('redirect', outcome.status, `the endpoint answered ${outcome.status}; redirects are not followed`);
    case 'refused_address':
      return failed('refused_address', null, outcome.detail);
    case 'retryable': {
      const at = new Date(now.getTime() + retryDelayMs);
      if (at > deadline) return failed('retries_exhausted', outcome.status, outcome.detail);
      return { action: 'retry', at, lastError: shortDetail(outcome.detail) };
    }
    default: {
      const unknownOutcome: never = outcome;
      throw new Error(`unhandled outcome ${(unknownOutcome as { kind: string }).kind}`);
    }
  }
}
