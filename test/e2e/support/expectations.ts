import type { HttpResult } from './backchannel-api.js';

/** An OAuth error response: exactly `error` and `error_description`, never cached. */
export function expectOAuthError(response: HttpResult<unknown>, status: number, error: string): void {
  expect({ status: response.status, error: (response.body as { error?: string }).error }).toEqual({ status, error });
  expect(Object.keys(response.body as object).sort()).toEqual(['error', 'error_description']);
  expect(response.headers.get('cache-control')).toBe('no-store');
}
