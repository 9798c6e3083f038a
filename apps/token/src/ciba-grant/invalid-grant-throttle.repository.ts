import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolSql } from '@backchannel/event-store';
import { FixedWindowCounts, secondsRefused } from '@backchannel/http';

/** How many invalid_grant answers a client may get in a window before it is slowed down. */
export interface InvalidGrantBudget {
  budget: number;
  windowSeconds: number;
}

/**
 * auth_req_id guessing (checklist U-1): each client's invalid_grant answers are counted in a
 * window that opens with the first one; once they reach the budget, the client is over it until
 * the window ends (FixedWindowCounts over `invalid_grant_throttle`: across token-service replicas).
 * Kept apart from the per-request poll throttle, which slows a client polling one auth_req_id too
 * fast.
 */
@Injectable()
export class InvalidGrantThrottleRepository {
  private readonly counts: FixedWindowCounts;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.counts = new FixedWindowCounts(poolSql(dataSource), 'invalid_grant_throttle', ['client_id']);
  }

  async isOverBudget(clientId: string, budget: InvalidGrantBudget, now: Date): Promise<boolean> {
    return secondsRefused(await this.counts.windowOf([clientId]), budget, now) !== null;
  }

  /** One more invalid_grant for the client: counted in its window, or the first of a new one. */
  async recordInvalidGrant(clientId: string, { windowSeconds }: InvalidGrantBudget, now: Date): Promise<void> {
    await this.counts.recordFailure([clientId], windowSeconds, now);
  }
}
