import { Inject, Injectable, Optional } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { CacheInvalidation, type InvalidatedCache } from '@backchannel/event-store';

/** The channel every change of `users`, `devices` or `device_channels` is announced on (a trigger of each table). */
export const DIRECTORY_CHANGES_CHANNEL = 'backchannel_directory_changes';

/** Beyond this many entries the oldest is dropped: a lookup of every user cannot grow the process. */
const MAX_ENTRIES = 10_000;

/**
 * What the directory answered on the hot path (the user a login_hint names, whether a user may be
 * asked or given tokens, the device a token belongs to, how a device is reached), kept for
 * DIRECTORY_CACHE_SECONDS. Any change of a user or a device (its channel included) empties it: in this replica when the change commits here, in the others when PostgreSQL delivers
 * the change's notification (CacheInvalidation); while that session is down nothing is cached.
 * Emptied whole, because a change can alter many answers (a new username makes another hint name
 * nobody) and changes are rare beside lookups.
 */
@Injectable()
export class DirectoryCache implements InvalidatedCache {
  cacheTrusted = false;
  private readonly entries = new Map<string, { value: unknown; cachedAt: number }>();
  /** Moves at every forgetting: a lookup that started before it must not store its answer. */
  private generation = 0;
  private readonly lifetimeMs: number;

  constructor(
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
    // absent, the cache hears of no change made elsewhere, so it keeps nothing
    @Optional() invalidation?: CacheInvalidation,
  ) {
    this.lifetimeMs = config.directoryCacheSeconds * 1000;
    invalidation?.register(DIRECTORY_CHANGES_CHANNEL, this);
  }

  /** The answer kept under `key`, or `lookup`'s, kept when nothing changed while it ran. */
  async through<T>(key: string, lookup: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key);
    if (kept && this.cacheTrusted && Date.now() - kept.cachedAt < this.lifetimeMs) return kept.value as T;
    const generation = this.generation;
    const value = await lookup();
    if (this.cacheTrusted && this.lifetimeMs > 0 && generation === this.generation) {
      this.entries.delete(key);
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, cachedAt: Date.now() });
    }
    return value;
  }

  /**
   * Runs a change of users or devices made here; this replica forgets at once when it is over, not
   * when its notification comes back.
   */
  async changing<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } finally {
      this.forgetAll();
    }
  }

  forget(): void {
    this.forgetAll();
  }

  forgetAll(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
