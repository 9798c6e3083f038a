import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { type RetentionRule, poolSql, pruneExpiredRows } from '@backchannel/event-store';
import { DataSource } from 'typeorm';

export const RETENTION_RULES = Symbol('RETENTION_RULES');

/**
 * Prunes this service's operational tables (those of the modules it is made of) every
 * RETENTION_INTERVAL_MINUTES: rows whose work ended more than RETENTION_DAYS ago (dead letters:
 * DEAD_LETTER_RETENTION_DAYS). Replicas may prune at once: the deletes are idempotent. A failed
 * round is logged and tried again at the next.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('retention');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(RETENTION_RULES) private readonly rules: readonly RetentionRule[],
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { intervalMinutes } = this.config.retention;
    if (intervalMinutes === 0 || this.rules.length === 0) return;
    this.timer = setInterval(() => void this.pruneOnce(new Date()), intervalMinutes * 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async pruneOnce(now: Date): Promise<Record<string, number>> {
    try {
      const pruned = await pruneExpiredRows(poolSql(this.dataSource), this.rules, this.config.retention, now);
      const total = Object.values(pruned).reduce((sum, count) => sum + count, 0);
      if (total > 0) this.logger.log(`pruned ${JSON.stringify(pruned)}`);
      return pruned;
    } catch (error) {
      this.logger.warn(`pruning failed, tried again in the next round: ${(error as Error).message}`);
      return {};
    }
  }
}
