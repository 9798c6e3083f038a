import { describe, expect, it, jest } from '@jest/globals';
import type { BackchannelConfig } from '@backchannel/config';
import type { InvalidatedCache } from '@backchannel/event-store';
import { DirectoryCache } from './directory-cache.js';

/** A cache as CacheInvalidation leaves it once its session listens (trusted), or never registered. */
function cache(seconds = 10, trusted = true): DirectoryCache {
  const registered: InvalidatedCache[] = [];
  const directoryCache = new DirectoryCache(
    { directoryCacheSeconds: seconds } as BackchannelConfig,
    {
      register: (_channel: string, it: InvalidatedCache) => registered.push(it),
    } as never,
  );
  expect(registered).toEqual([directoryCache]);
  directoryCache.cacheTrusted = trusted;
  return directoryCache;
}

/** A lookup that counts its calls and answers `answer`. */
function counted<T>(answer: T) {
  const lookup = jest.fn(async () => answer);
  return lookup;
}

describe('DirectoryCache', () => {
  it('answers a key from what it kept, until any change is heard', async () => {
    const directory = cache();
    const lookup = counted(true);

    expect(await directory.through('enabled alice', lookup)).toBe(true);
    expect(await directory.through('enabled alice', lookup)).toBe(true);
    expect(lookup).toHaveBeenCalledTimes(1);

    directory.forget();
    expect(await directory.through('enabled alice', lookup)).toBe(true);
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('keeps an answer of nobody too (null), and forgets it at a change', async () => {
    const directory = cache();
    const nobody = counted(null);
    expect(await directory.through('login_hint bob', nobody)).toBeNull();
    expect(await directory.through('login_hint bob', nobody)).toBeNull();
    expect(nobody).toHaveBeenCalledTimes(1);

    await directory.changing(async () => 'created');
    expect(await directory.through('login_hint bob', counted('bob'))).toBe('bob');
  });

  it('forgets after a change made here, whether it committed or failed', async () => {
    const directory = cache();
    await directory.through('enabled alice', counted(true));
    await expect(
      directory.changing(async () => {
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await directory.through('enabled alice', counted(false))).toBe(false);
  });

  it('does not keep an answer whose lookup ran across a change: it may be from before it', async () => {
    const directory = cache();
    let answer!: (value: boolean) => void;
    const slow = directory.through('enabled alice', () => new Promise<boolean>((resolve) => (answer = resolve)));
    directory.forget();
    answer(true);
    expect(await slow).toBe(true);

    const fresh = counted(false);
    expect(await directory.through('enabled alice', fresh)).toBe(false);
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it('keeps nothing while it is not trusted (its session is down) or its lifetime is 0', async () => {
    for (const directory of [cache(10, false), cache(0, true)]) {
      const lookup = counted(true);
      await directory.through('enabled alice', lookup);
      await directory.through('enabled alice', lookup);
      expect(lookup).toHaveBeenCalledTimes(2);
    }
  });

  it('reads again once an answer is older than its lifetime', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') });
    try {
      const directory = cache(10);
      const lookup = counted(true);
      await directory.through('enabled alice', lookup);
      jest.setSystemTime(new Date('2026-12-07T12:00:09.999Z'));
      await directory.through('enabled alice', lookup);
      expect(lookup).toHaveBeenCalledTimes(1);
      jest.setSystemTime(new Date('2026-12-07T12:00:10Z'));
      await directory.through('enabled alice', lookup);
      expect(lookup).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds at most 10,000 answers, dropping the oldest', async () => {
    const directory = cache();
    for (let index = 0; index <= 10_000; index += 1) await directory.through(`enabled user${index}`, counted(true));
    const oldest = counted(false);
    expect(await directory.through('enabled user0', oldest)).toBe(false);
    const second = counted(false);
    expect(await directory.through('enabled user2', second)).toBe(true);
    expect(second).not.toHaveBeenCalled();
  });
});
