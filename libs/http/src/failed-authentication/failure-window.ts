/** How many failed authentications an address may have in a window (FAILED_AUTHENTICATION_*). */
export interface FailureBudget {
  budget: number;
  windowSeconds: number;
}

/** An address's failures on one surface, counted in a fixed window that opened with the first of them. */
export interface FailureWindow {
  failures: number;
  endsAt: Date;
}

/**
 * How long an address is refused at `now`: the seconds until its window ends once its failures
 * have spent the budget (at least 1, so that a client told when to come back does not come back
 * at once), or null while it may still try (under budget, or the window has ended).
 */
export function secondsRefused(window: FailureWindow | null, { budget }: FailureBudget, now: Date): number | null {
  if (window === null || window.failures < budget) return null;
  const left = window.endsAt.getTime() - now.getTime();
  return left > 0 ? Math.max(1, Math.ceil(left / 1000)) : null;
}
