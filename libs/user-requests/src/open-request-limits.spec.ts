import { exceedsOpenRequestLimits } from './open-request-limits.js';

describe('exceedsOpenRequestLimits', () => {
  const limits = { maxPerUser: 5, maxPerClientAndUser: 2 };

  it.each([
    [{ forUser: 0, forClient: 0 }, false],
    [{ forUser: 4, forClient: 1 }, false],
    [{ forUser: 4, forClient: 2 }, true],
    [{ forUser: 5, forClient: 0 }, true],
    [{ forUser: 7, forClient: 3 }, true],
  ])('%o open: refused is %s', (open, refused) => {
    expect(exceedsOpenRequestLimits(open, limits)).toBe(refused);
  });

  it('lets a cap of one admit exactly one open request', () => {
    const single = { maxPerUser: 1, maxPerClientAndUser: 1 };
    expect(exceedsOpenRequestLimits({ forUser: 0, forClient: 0 }, single)).toBe(false);
    expect(exceedsOpenRequestLimits({ forUser: 1, forClient: 0 }, single)).toBe(true);
  });
});
