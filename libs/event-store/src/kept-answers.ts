import type { InvalidatedCache } from './cache-invalidation.js';

/** Beyond this many answers the oldest is dropped: a lookup of every key cannot grow the process. */
const MAX_ANSWERS = 10_000;

/**
 * Answers of lookups kept per key for `lifetimeMs`, while their changes are heard (CacheInvalidation
 * sets `cacheTrusted`); a notification forgets its key. A lookup that ran across a forgetting keeps
 * nothing: it may have read the row before the change.
 */
export class KeptAnswers<Answer> implements InvalidatedCache {
  cacheTrusted = false;
  private readonly answers = new Map<string, { answer: Answer; keptAt: number }>();
  /** Moves at every forgetting. */
  private generation = 0;

  /**
   * `keepsNull`: whether "none" is an answer worth keeping (not where a row can appear unannounced,
   * as a client registered in another replica).
   */
  constructor(
    private readonly lifetimeMs: number,
    private readonly keepsNull = true,
  ) {}

  /** The answer kept under `key`, or `lookup`'s (see `refresh`). */
  async through(key: string, lookup: () => Promise<Answer>): Promise<Answer> {
    const kept = this.answers.get(key);
    if (kept && this.cacheTrusted && Date.now() - kept.keptAt < this.lifetimeMs) return kept.answer;
    return this.refresh(key, lookup);
  }

  /** `lookup`'s answer, kept when nothing was forgotten while it ran. */
  async refresh(key: string, lookup: () => Promise<Answer>): Promise<Answer> {
    const generation = this.generation;
    const answer = await lookup();
    if (generation === this.generation) this.keep(key, answer);
    return answer;
  }

  /** An answer known to be current (this replica has just written it). */
  keep(key: string, answer: Answer): void {
    this.answers.delete(key);
    if (!this.cacheTrusted || this.lifetimeMs <= 0 || (answer === null && !this.keepsNull)) return;
    if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(key, { answer, keptAt: Date.now() });
  }

  forget(key: string): void {
    this.generation += 1;
    this.answers.delete(key);
  }

  forgetAll(): void {
    this.generation += 1;
    this.answers.clear();
  }
}
