import {
  nextKeyActivation,
  nextKeyAt,
  publishedKeysAt,
  retirementOf,
  type ScheduledKey,
  signingKeyAt,
} from './signing-key-rotation.js';

describe('signing key rotation', () => {
  const rotation = { rotationDays: 30, publishLeadSeconds: 3600, longestTokenLifetimeSeconds: 1800 };
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
  const DAY = 86_400;
  const key = (kid: string, activatesAtSeconds: number, retiredAt: Date | null = null): ScheduledKey => ({
    kid,
    activatesAt: at(activatesAtSeconds),
    retiredAt,
  });
  const kids = (keys: ScheduledKey[]) => keys.map((scheduled) => scheduled.kid);

  describe('when there is no key', () => {
    it('adds the first key to sign at once: no token exists that a cached key set must verify', () => {
      expect(nextKeyActivation([], t0, rotation, false)).toEqual(at(-60));
      expect(signingKeyAt([], t0)).toBeNull();
    });

    it("has the first key sign for a replica whose clock read a little earlier than its creator's", () => {
      // replicas start at once: the later clock takes the lock first and adds the key
      const first = key('a', 0);
      first.activatesAt = nextKeyActivation([], at(5), rotation, false)!;

      expect(signingKeyAt([first], at(0))?.kid).toBe('a');
      expect(nextKeyActivation([first], at(0), rotation, false)).toBeNull();
    });
  });

  describe('when one key signs', () => {
    const keys = [key('a', 0)];

    it('adds none before SIGNING_KEY_ROTATION_DAYS', () => {
      expect(nextKeyActivation(keys, at(30 * DAY - 1), rotation, false)).toBeNull();
    });

    it('adds the next key once the signing key is that old, to sign after the lead time', () => {
      expect(nextKeyActivation(keys, at(30 * DAY), rotation, false)).toEqual(at(30 * DAY + 3600));
    });

    it('adds one whenever an operator asks, to sign after the lead time too', () => {
      expect(nextKeyActivation(keys, at(60), rotation, true)).toEqual(at(60 + 3600));
    });

    it('never adds one on schedule when rotation is off (0 days), only on request', () => {
      const off = { ...rotation, rotationDays: 0 };
      expect(nextKeyActivation(keys, at(365 * DAY), off, false)).toBeNull();
      expect(nextKeyActivation(keys, at(365 * DAY), off, true)).toEqual(at(365 * DAY + 3600));
    });
  });

  describe('when a next key waits', () => {
    const keys = [key('a', 0), key('b', 30 * DAY + 3600)];
    const now = at(30 * DAY + 60);

    it('is published before it signs, beside the key that still signs', () => {
      expect(signingKeyAt(keys, now)?.kid).toBe('a');
      expect(nextKeyAt(keys, now)?.kid).toBe('b');
      expect(kids(publishedKeysAt(keys, now, rotation))).toEqual(['b', 'a']);
    });

    it('adds no other one, on schedule or on request', () => {
      expect(nextKeyActivation(keys, now, rotation, false)).toBeNull();
      expect(nextKeyActivation(keys, now, rotation, true)).toBeNull();
    });
  });

  describe('when the next key has taken over', () => {
    const keys = [key('a', 0), key('b', 30 * DAY + 3600)];
    const activation = 30 * DAY + 3600;
    // the longest token lifetime, and a minute for replicas' clocks
    const retirement = activation + 1800 + 60;

    it('signs from its activation on', () => {
      expect(signingKeyAt(keys, at(activation - 1))?.kid).toBe('a');
      expect(signingKeyAt(keys, at(activation))?.kid).toBe('b');
    });

    it('keeps the superseded key published until the last token it signed has expired, then retires it', () => {
      expect(kids(publishedKeysAt(keys, at(retirement - 1), rotation))).toEqual(['b', 'a']);
      expect(kids(publishedKeysAt(keys, at(retirement), rotation))).toEqual(['b']);
      expect(retirementOf(keys[0]!, keys, at(activation), rotation)).toEqual(at(retirement));
      expect(retirementOf(keys[1]!, keys, at(activation), rotation)).toBeNull();
    });

    it('counts the next rotation from the new key’s activation', () => {
      expect(nextKeyActivation(keys, at(activation + 30 * DAY - 1), rotation, false)).toBeNull();
      expect(nextKeyActivation(keys, at(activation + 30 * DAY), rotation, false)).not.toBeNull();
    });
  });

  describe('when an operator retired a key by hand', () => {
    it('leaves it out at once, and has a key added to sign when none is left, at once as the first key', () => {
      const keys = [key('a', 0, at(100))];
      expect(publishedKeysAt(keys, at(100), rotation)).toEqual([]);
      expect(signingKeyAt(keys, at(100))).toBeNull();
      expect(nextKeyActivation(keys, at(100), rotation, false)).toEqual(at(40));
    });
  });
});
