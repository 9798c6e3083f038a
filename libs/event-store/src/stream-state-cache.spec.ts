import { describe, expect, it } from '@jest/globals';
import { StreamStateCache } from './stream-state-cache.js';

const decider = {};
const state = (version: number) => ({ state: `v${version}`, version });

describe('StreamStateCache', () => {
  it('gives back what was remembered, for the same decider only', () => {
    const cache = new StreamStateCache();
    cache.remember('s1', decider, state(2));
    expect(cache.get('s1', decider)).toEqual(state(2));
    expect(cache.get('s1', {})).toBeUndefined();
    expect(cache.get('s2', decider)).toBeUndefined();
  });

  it('never replaces a state by an older one', () => {
    const cache = new StreamStateCache();
    cache.remember('s1', decider, state(3));
    cache.remember('s1', decider, state(2));
    expect(cache.get('s1', decider)?.version).toBe(3);
    cache.remember('s1', decider, state(4));
    expect(cache.get('s1', decider)?.version).toBe(4);
  });

  it('forgets the least recently used stream beyond its capacity', () => {
    const cache = new StreamStateCache(2);
    cache.remember('a', decider, state(1));
    cache.remember('b', decider, state(1));
    cache.get('a', decider); // a is used again: b is now the oldest
    cache.remember('c', decider, state(1));
    expect(cache.size).toBe(2);
    expect(cache.get('b', decider)).toBeUndefined();
    expect(cache.get('a', decider)).toBeDefined();
    expect(cache.get('c', decider)).toBeDefined();
  });
});
