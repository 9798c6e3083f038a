/** Push-bombing limits: how many open (unanswered, unexpired) requests a user may have. */
export interface OpenRequestLimits {
  maxPerUser: number;
  maxPerClientAndUser: number;
}

/** The user's open requests: all of them, and those of the asking client. */
export interface OpenRequestCounts {
  forUser: number;
  forClient: number;
}

/** Whether one more open request would go past a cap: push bombing is stopped before the device rings. */
export function exceedsOpenRequestLimits(open: OpenRequestCounts, limits: OpenRequestLimits): boolean {
  return open.forUser >= limits.maxPerUser || open.forClient >= limits.maxPerClientAndUser;
}
