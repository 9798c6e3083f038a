export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
}

/**
 * Capped exponential backoff with "equal jitter": the delay before retry number `attempt`
 * (1-based) lies between half and all of min(max, initial * 2^(attempt-1)), so retries of many
 * consumers hit by the same outage spread out instead of arriving together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
