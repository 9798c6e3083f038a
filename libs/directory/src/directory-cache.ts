import { Inject, Injectable, Optional } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { CacheInvalidation, KeptAnswers } from '@backchannel/event-store';

/** The channel every change of `users`, `devices` or `device_channels` is announced on (a trigger of each table). */
export const DIRECTORY_CHANGES_CHANNEL = 'backchannel_directory_changes';

/**
 * What the directory answered on the hot path (the user a login_hint names, whether a user may be
 * asked or given tokens, the device a token belongs to, how a device is reached), kept for
 * DIRECTORY_CACHE_SECONDS. Any change of a user or a device (its channel included) empties it:
 * in this replica when the change commits here, in the others when PostgreSQL delivers the
 * change's notification (CacheInvalidation); while that session is down nothing is cached.
 * Emptied whole, because a change can alter many answers (a new username makes another hint name
 * nobody) and changes are rare beside lookups.
 */
@Injectable()
export class DirectoryCache extends KeptAnswers<unknown> {
  constructor(
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
    // absent, the cache hears of no change made elsewhere, so it keeps nothing
    @Optional() invalidation?: CacheInvalidation,
  ) {
    super(config.directoryCacheSeconds * 1000);
    invalidation?.register(DIRECTORY_CHANGES_CHANNEL, this);
  }

  override through<Answer>(key: string, lookup: () => Promise<Answer>): Promise<Answer> {
    return super.through(key, lookup) as Promise<Answer>;
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

  /** Whatever the notification names: see above. */
  override forget(): void {
    this.forgetAll();
  }
}
