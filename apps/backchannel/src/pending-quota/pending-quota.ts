import type { BackchannelConfig } from '@backchannel/config';

export type PendingLimits = BackchannelConfig['abuseLimits'];

/** The user's open requests (undecided, unexpired): all of them, and those of the asking client. */
export interface OpenRequests {
  forUser: number;
  forClient: number;
}

/** Whether one more open request would go past a cap: push bombing is stopped before the device rings. */
export function exceedsPendingLimits(open: OpenRequests, limits: PendingLimits): boolean {
  return open.forUser >= limits.maxPendingPerUser || open.forClient >= limits.maxPendingPerClientAndUser;
}
