import { type FailureBudget, secondsRefused } from './failure-window.js';

const budget: FailureBudget = { budget: 3, windowSeconds: 300 };
const now = new Date('2025-12-16T12:00:00.000Z');
const inSeconds = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('secondsRefused', () => {
  it('lets an address try while it has no window or is under budget', () => {
    expect(secondsRefused(null, budget, now)).toBeNull();
    expect(secondsRefused({ failures: 2, endsAt: inSeconds(200) }, budget, now)).toBeNull();
  });

  it('refuses an address that spent its budget until its window ends, rounding up', () => {
    expect(secondsRefused({ failures: 3, endsAt: inSeconds(200) }, budget, now)).toBe(200);
    expect(secondsRefused({ failures: 9, endsAt: inSeconds(12.2) }, budget, now)).toBe(13);
  });

  it('never says 0 to an address still refused, and lets it try once the window has ended', () => {
    expect(secondsRefused({ failures: 3, endsAt: inSeconds(0.001) }, budget, now)).toBe(1);
    expect(secondsRefused({ failures: 3, endsAt: now }, budget, now)).toBeNull();
    expect(secondsRefused({ failures: 3, endsAt: inSeconds(-1) }, budget, now)).toBeNull();
  });
});
