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

  describe('inTurn', () => {
    /** A command that ends when told to, noting when it starts. */
    function command(steps: string[], name: string, fails = false) {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      const run = async () => {
        steps.push(`${name} starts`);
        await ended;
        if (fails) throw new Error(`${name} failed`);
        return name;
      };
      return { run, end };
    }

    it("runs a stream's commands one after the other, in the order they came", async () => {
      const cache = new StreamStateCache();
      const steps: string[] = [];
      const [a, b, c] = [command(steps, 'a'), command(steps, 'b'), command(steps, 'c')];
      const results = [cache.inTurn('s1', a.run), cache.inTurn('s1', b.run), cache.inTurn('s1', c.run)];
      await Promise.resolve();
      expect(steps).toEqual(['a starts']);
      a.end();
      await results[0];
      await new Promise(setImmediate);
      expect(steps).toEqual(['a starts', 'b starts']);
      b.end();
      c.end();
      await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
      expect(steps).toEqual(['a starts', 'b starts', 'c starts']);
      expect(cache.streamsInTurn).toBe(0);
    });

    it('holds no other stream up', async () => {
      const cache = new StreamStateCache();
      const steps: string[] = [];
      const [a, b] = [command(steps, 'a'), command(steps, 'b')];
      const results = [cache.inTurn('s1', a.run), cache.inTurn('s2', b.run)];
      expect(steps).toEqual(['a starts', 'b starts']);
      expect(cache.streamsInTurn).toBe(2);
      b.end();
      await expect(results[1]).resolves.toBe('b');
      a.end();
      await expect(results[0]).resolves.toBe('a');
    });

    it('starts the next command after one that failed, and gives the failure to its caller only', async () => {
      const cache = new StreamStateCache();
      const steps: string[] = [];
      const [a, b] = [command(steps, 'a', true), command(steps, 'b')];
      const results = [cache.inTurn('s1', a.run), cache.inTurn('s1', b.run)];
      a.end();
      b.end();
      await expect(results[0]).rejects.toThrow('a failed');
      await expect(results[1]).resolves.toBe('b');
      expect(steps).toEqual(['a starts', 'b starts']);
      expect(cache.streamsInTurn).toBe(0);
    });
  });
});
