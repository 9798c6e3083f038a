import { type AuthRequestState, isExpired } from '@backchannel/auth-request';
import type { NotificationFailed } from '@backchannel/events';
import { shortDetail } from '@backchannel/messaging';
import type { ChannelOutcome } from '../channels/device-channel.js';

/** What follows one attempt: an event to record, or another attempt at `at`. */
export type AttemptFollowUp =
  | { action: 'notified' }
  | { action: 'failed'; reason: NotificationFailed['data']['reason']; detail: string }
  | { action: 'retry'; at: Date; lastError: string };

/**
 * Whether the device is still worth telling at `now`: the request is open and nothing was
 * recorded for this device yet (a second worker after a crash, a redelivery).
 */
export function deviceNotificationOwed(state: AuthRequestState, deviceId: string, now: Date): boolean {
  if (state.status !== 'Pending' || isExpired(state, now.toISOString())) return false;
  const thisDevice = (entry: { deviceId: string | null }) => entry.deviceId === deviceId;
  return !state.notifications.some(thisDevice) && !state.failedNotifications.some(thisDevice);
}

/**
 * A device whose retries were still running when the request expired (the last retry was due
 * before expiry but claimed after it) is given up on: the attempts end in retries_exhausted
 * rather than in silence. The current claim is not an attempt, hence `attempts - 1`.
 */
export function expiredWhileRetrying(state: AuthRequestState, deviceId: string, now: Date, attempts: number): boolean {
  if (state.status !== 'Pending' || !isExpired(state, now.toISOString()) || attempts - 1 < 1) return false;
  const thisDevice = (entry: { deviceId: string | null }) => entry.deviceId === deviceId;
  return !state.notifications.some(thisDevice) && !state.failedNotifications.some(thisDevice);
}

/**
 * Maps one attempt's outcome to what follows: delivered and permanent refusals are recorded at
 * once; a transient failure is tried again `retryDelayMs` after `now`, unless that falls at or
 * after the request's expiry, when the device is given up on (retries_exhausted).
 */
export function followUp(outcome: ChannelOutcome, now: Date, expiresAt: Date, retryDelayMs: number): AttemptFollowUp {
  switch (outcome.kind) {
    case 'delivered':
      return { action: 'notified' };
    case 'rejected':
    case 'refused_address':
      return { action: 'failed', reason: outcome.kind, detail: shortDetail(outcome.detail) };
    case 'retryable': {
      const at = new Date(now.getTime() + retryDelayMs);
      if (!(at < expiresAt))
        return { action: 'failed', reason: 'retries_exhausted', detail: shortDetail(outcome.detail) };
      return { action: 'retry', at, lastError: shortDetail(outcome.detail) };
    }
    default: {
      const unknownOutcome: never = outcome;
      throw new Error(`unhandled outcome ${(unknownOutcome as { kind: string }).kind}`);
    }
  }
}
