import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { type MadeCheckpoint, makeAuditCheckpoint } from '@backchannel/crypto';
import { type RetentionRule, poolSql, pruneExpiredRows, queryRunnerSql } from '@backchannel/event-store';
import { DataSource } from 'typeorm';

export const RETENTION_RULES = Symbol('RETENTION_RULES');

/**
 * A service's periodic duties, each on its own interval (0 turns it off); a failed round is
 * logged and tried again at the next. Every replica of every service runs them:
 * - retention, every RETENTION_INTERVAL_MINUTES: this service's operational tables (those of the
 *   modules it is made of), rows whose work ended more than RETENTION_DAYS ago (dead letters:
 *   DEAD_LETTER_RETENTION_DAYS); the deletes are idempotent, so replicas may prune at once;
 * - a signed audit checkpoint of the log's head, every AUDIT_CHECKPOINT_INTERVAL_MINUTES: a replica
 *   finding one newer than half the interval leaves it, so replicas make about one per interval;
 *   a service without the key-encryption keys (which seal the audit key) leaves them to the others.
 */
@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('maintenance');
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly dataSource: DataSource,
    @Inject(RETENTION_RULES) private readonly rules: readonly RetentionRule[],
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.rules.length > 0) this.every(this.config.retention.intervalMinutes, () => this.pruneOnce(new Date()));
    if (this.config.keyEncryptionKeys.length > 0) {
      this.every(this.config.auditCheckpointIntervalMinutes, () => this.checkpointOnce(new Date()));
    }
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
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

  /** Signs the log's head, unless another replica did in the last half interval. */
  async checkpointOnce(now: Date): Promise<MadeCheckpoint | null> {
    const halfInterval = (this.config.auditCheckpointIntervalMinutes * 60_000) / 2;
    try {
      const made = await makeAuditCheckpoint(
        (work) => this.dataSource.transaction((manager) => work(queryRunnerSql(manager.queryRunner!))),
        this.config.keyEncryptionKeys,
        now,
        new Date(now.getTime() - halfInterval),
      );
      if (made) this.logger.log(`audit checkpoint ${made.digest} over ${made.streams} streams`);
      return made;
    } catch (error) {
      this.logger.warn(`audit checkpoint failed, tried again in the next round: ${(error as Error).message}`);
      return null;
    }
  }

  private every(minutes: number, duty: () => Promise<unknown>): void {
    if (minutes === 0) return;
    const timer = setInterval(() => void duty(), minutes * 60_000);
    timer.unref();
    this.timers.push(timer);
  }
}
