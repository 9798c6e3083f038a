import { type AuthRequestState, type DueClientNotification, clientNotificationDue } from '@backchannel/auth-request';

/** What a claimed job owes the client, given the request's state. */
export type ClientNotificationPlan =
  /** Nothing will ever be sent: the outcome is already recorded, or the request ended unanswered. */
  | { action: 'finish'; why: 'already_recorded' | 'nothing_owed' }
  /** Nothing is due yet: look again at `until` (or sooner, when a decision event wakes the job). */
  | { action: 'wait'; until: Date }
  /** Send `notification`; retries stop at `deadline`. */
  | { action: 'send'; notification: DueClientNotification; deadline: Date };

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
export function planClientNotification(state: AuthRequestState, now: Date, graceMs: number): ClientNotificationPlan {
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
