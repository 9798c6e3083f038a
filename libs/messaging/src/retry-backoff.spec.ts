import { backoffDelay } from './retry-backoff.js';

const options = { initialDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    const atMostJitter = () => 1;
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options, atMostJitter))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffDelay(5, options, () => 1)).toBe(1_000);
    expect(backoffDelay(60, options, () => 1)).toBe(1_000);
  });

  it('keeps at least half of the ceiling when the jitter is smallest', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(200);
    expect(backoffDelay(40, options, () => 0)).toBe(500);
  });

  it('spreads delays between half and all of the ceiling', () => {
    expect(backoffDelay(2, options, () => 0.5)).toBe(150);
  });

  it('treats attempt 0 like the first attempt', () => {
    expect(backoffDelay(0, options, () => 1)).toBe(100);
  });
});
