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

/**
 * Push bombing by rate, not only by concurrency: how often one client may prompt one user, how
 * long it must wait after the user denied one of its requests, and how long "this wasn't me"
 * (ConsentDenied `not_recognized`) keeps it from prompting that user at all.
 */
export interface PromptLimits extends OpenRequestLimits {
  perClientAndUser: { budget: number; windowSeconds: number };
  backoffAfterDenialSeconds: number;
  notMeBlockSeconds: number;
}

/** What a client's prompts to a user have been so far, read under the user's lock. */
export interface PromptHistory extends OpenRequestCounts {
  /** The client's requests to the user made in the rate window. */
  recentForClient: number;
  /** When the user last denied a request of the client (any reason a user gives), or null. */
  lastDeniedAt: Date | null;
  /** When the user last answered "this wasn't me" to the client and has not lifted it since, or null. */
  blockedAt: Date | null;
}

/** Until when a "this wasn't me" keeps the client from prompting the user. */
export function blockedUntil(blockedAt: Date, limits: Pick<PromptLimits, 'notMeBlockSeconds'>): Date {
  return new Date(blockedAt.getTime() + limits.notMeBlockSeconds * 1000);
}

/**
 * Whether the client may prompt the user once more at `now`: every limit decided here, and every
 * refusal answered alike (access_denied), so a client learns nothing of the others or of the user.
 */
export function refusesPrompt(history: PromptHistory, limits: PromptLimits, now: Date): boolean {
  // 0 s turns a hold-back off, even for an answer recorded after `now` (a request made concurrently)
  const since = (at: Date | null, seconds: number) =>
    seconds > 0 && at !== null && now.getTime() < at.getTime() + seconds * 1000;
  return (
    exceedsOpenRequestLimits(history, limits) ||
    history.recentForClient >= limits.perClientAndUser.budget ||
    since(history.lastDeniedAt, limits.backoffAfterDenialSeconds) ||
    since(history.blockedAt, limits.notMeBlockSeconds)
  );
}
