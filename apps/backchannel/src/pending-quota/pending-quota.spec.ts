import { exceedsPendingLimits } from './pending-quota.js';

describe('exceedsPendingLimits', () => {
  const limits = { maxPendingPerUser: 5, maxPendingPerClientAndUser: 2 };

  it.each([
    [{ forUser: 0, forClient: 0 }, false],
    [{ forUser: 4, forClient: 1 }, false],
    [{ forUser: 4, forClient: 2 }, true],
    [{ forUser: 5, forClient: 0 }, true],
    [{ forUser: 7, forClient: 3 }, true],
  ])('%o open: refused is %s', (open, refused) => {
    expect(exceedsPendingLimits(open, limits)).toBe(refused);
  });

  it('lets a cap of one admit exactly one open request', () => {
    const single = { maxPendingPerUser: 1, maxPendingPerClientAndUser: 1 };
    expect(exceedsPendingLimits({ forUser: 0, forClient: 0 }, single)).toBe(false);
    expect(exceedsPendingLimits({ forUser: 1, forClient: 0 }, single)).toBe(true);
  });
});
