import { describe, expect, it, jest } from '@jest/globals';
import { KeptAnswers } from './kept-answers.js';

/** Answers kept for `seconds`, as CacheInvalidation leaves them once its session listens (trusted) or not. */
function kept<Answer>(seconds = 10, { trusted = true, keepsNull = true } = {}): KeptAnswers<Answer> {
  const answers = new KeptAnswers<Answer>(seconds * 1000, keepsNull);
  answers.cacheTrusted = trusted;
  return answers;
}

describe('KeptAnswers', () => {
  it('answers a key from what it kept until the key is forgotten, and other keys meanwhile', async () => {
    const answers = kept<string>();
    const alice = jest.fn(async () => 'alice');
    const bob = jest.fn(async () => 'bob');
    await answers.through('a', alice);
    await answers.through('b', bob);

    answers.forget('a');
    expect(await answers.through('a', alice)).toBe('alice');
    expect(await answers.through('b', bob)).toBe('bob');
    expect(alice).toHaveBeenCalledTimes(2);
    expect(bob).toHaveBeenCalledTimes(1);
  });

  it('does not keep an answer whose lookup ran across a forgetting: it may be from before the change', async () => {
    const answers = kept<boolean>();
    let answer!: (value: boolean) => void;
    const slow = answers.through('enabled', () => new Promise<boolean>((resolve) => (answer = resolve)));
    answers.forget('another key');
    answer(true);
    expect(await slow).toBe(true);

    const fresh = jest.fn(async () => false);
    expect(await answers.through('enabled', fresh)).toBe(false);
    expect(fresh).toHaveBeenCalledTimes(1);
  });

  it('always looks up on refresh, and keeps what it found', async () => {
    const answers = kept<number>();
    await answers.through('n', async () => 1);
    expect(await answers.refresh('n', async () => 2)).toBe(2);
    expect(await answers.through('n', async () => 3)).toBe(2);
  });

  it('keeps "none" only when asked to', async () => {
    for (const keepsNull of [true, false]) {
      const answers = kept<string | null>(10, { keepsNull });
      const nobody = jest.fn(async () => null);
      await answers.through('x', nobody);
      await answers.through('x', nobody);
      expect(nobody).toHaveBeenCalledTimes(keepsNull ? 1 : 2);
    }
  });

  it('keeps nothing while it is not trusted (its session is down) or its lifetime is 0', async () => {
    for (const answers of [kept<boolean>(10, { trusted: false }), kept<boolean>(0)]) {
      const lookup = jest.fn(async () => true);
      await answers.through('enabled', lookup);
      answers.keep('enabled', true);
      await answers.through('enabled', lookup);
      expect(lookup).toHaveBeenCalledTimes(2);
    }
  });

  it('looks up again once an answer is older than its lifetime', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') });
    try {
      const answers = kept<boolean>(10);
      const lookup = jest.fn(async () => true);
      await answers.through('enabled', lookup);
      jest.setSystemTime(new Date('2026-12-07T12:00:09.999Z'));
      await answers.through('enabled', lookup);
      expect(lookup).toHaveBeenCalledTimes(1);
      jest.setSystemTime(new Date('2026-12-07T12:00:10Z'));
      await answers.through('enabled', lookup);
      expect(lookup).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds at most 10,000 answers, dropping the oldest', async () => {
    const answers = kept<boolean>();
    for (let index = 0; index <= 10_000; index += 1) answers.keep(`user${index}`, true);
    const oldest = jest.fn(async () => false);
    expect(await answers.through('user0', oldest)).toBe(false);
    const second = jest.fn(async () => false);
    expect(await answers.through('user2', second)).toBe(true);
    expect(second).not.toHaveBeenCalled();
  });
});
