import { exceedsOpenRequestLimits, refusesPrompt } from './open-request-limits.js';

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

describe('refusesPrompt', () => {
  const limits = {
    maxPerUser: 5,
    maxPerClientAndUser: 2,
    perClientAndUser: { budget: 4, windowSeconds: 600 },
    backoffAfterDenialSeconds: 30,
    notMeBlockSeconds: 3600,
  };
  const now = new Date('2026-12-01T10:00:00.000Z');
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  const quiet = { forUser: 0, forClient: 0, recentForClient: 0, lastDeniedAt: null, blockedAt: null };

  it.each([
    ['nothing lately', {}, false],
    ['the open-request caps', { forClient: 2 }, true],
    ['3 requests of the client in the window', { recentForClient: 3 }, false],
    ['4 requests of the client in the window', { recentForClient: 4 }, true],
    ['a denial 29 s ago', { lastDeniedAt: ago(29) }, true],
    ['a denial 30 s ago', { lastDeniedAt: ago(30) }, false],
    ['"this wasn\'t me" an hour less a second ago', { blockedAt: ago(3599) }, true],
    ['"this wasn\'t me" an hour ago', { blockedAt: ago(3600) }, false],
  ])('%s: refused is %s', (_, history, refused) => {
    expect(refusesPrompt({ ...quiet, ...history }, limits, now)).toBe(refused);
  });
});
