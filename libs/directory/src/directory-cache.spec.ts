import { describe, expect, it, jest } from '@jest/globals';
import type { BackchannelConfig } from '@backchannel/config';
import type { InvalidatedCache } from '@backchannel/event-store';
import { DirectoryCache } from './directory-cache.js';

/** A directory cache registered with its channel, as CacheInvalidation leaves it once its session listens. */
function cache(): DirectoryCache {
  const registered: [string, InvalidatedCache][] = [];
  const directoryCache = new DirectoryCache(
    { directoryCacheSeconds: 10 } as BackchannelConfig,
    {
      register: (channel: string, it: InvalidatedCache) => registered.push([channel, it]),
    } as never,
  );
  expect(registered).toEqual([['backchannel_directory_changes', directoryCache]]);
  directoryCache.cacheTrusted = true;
  return directoryCache;
}

describe('DirectoryCache', () => {
  it('forgets every answer at any notification, whatever it names', async () => {
    const directory = cache();
    const enabled = jest.fn(async () => true);
    const named = jest.fn(async () => null);
    await directory.through('enabled alice', enabled);
    await directory.through('login_hint bob', named);

    directory.forget();
    await directory.through('enabled alice', enabled);
    await directory.through('login_hint bob', named);
    expect(enabled).toHaveBeenCalledTimes(2);
    expect(named).toHaveBeenCalledTimes(2);
  });

  it('keeps an answer of nobody too (null), until a change', async () => {
    const directory = cache();
    const nobody = jest.fn(async () => null);
    expect(await directory.through('login_hint bob', nobody)).toBeNull();
    expect(await directory.through('login_hint bob', nobody)).toBeNull();
    expect(nobody).toHaveBeenCalledTimes(1);

    await directory.changing(async () => 'created');
    expect(await directory.through('login_hint bob', async () => 'bob')).toBe('bob');
  });

  it('forgets after a change made here, whether it committed or failed', async () => {
    const directory = cache();
    await directory.through('enabled alice', async () => true);
    await expect(
      directory.changing(async () => {
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await directory.through('enabled alice', async () => false)).toBe(false);
  });
});
