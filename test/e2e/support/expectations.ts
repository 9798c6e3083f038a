import type { HttpResult } from './backchannel-api.js';

/** An OAuth error response: exactly `error` and `error_description`, never cached. */
export function expectOAuthError(response: HttpResult<unknown>, status: number, error: string): void {
  expect({ status: response.status, error: (response.body as { error?: string }).error }).toEqual({ status, error });
  expect(Object.keys(response.body as object).sort()).toEqual(['error', 'error_description']);
  expect(response.headers.get('cache-control')).toBe('no-store');
}

/**
 * The sum of a metric's series in Prometheus text (of one or many processes) whose labels include
 * `labels`; 0 when there is none.
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries(
      [...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([label, value]) => series[label] === value)) sum += Number(match[4]);
  }
  return sum;
}
