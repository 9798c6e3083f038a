import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolSql } from '@backchannel/event-store';
import type { FailureWindow } from './failure-window.js';
import { FixedWindowCounts } from './fixed-window-counts.js';

/** Where a credential was refused: the admin API (admin token) or the device API (device token). */
export type AuthenticationSurface = 'admin' | 'device';

/** Failed authentications per client address and surface (FixedWindowCounts over `authentication_failures`). */
@Injectable()
export class AuthenticationFailuresRepository {
  private readonly counts: FixedWindowCounts;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.counts = new FixedWindowCounts(poolSql(dataSource), 'authentication_failures', ['address', 'surface']);
  }

  windowOf(address: string, surface: AuthenticationSurface): Promise<FailureWindow | null> {
    return this.counts.windowOf([address, surface]);
  }

  recordFailure(address: string, surface: AuthenticationSurface, windowSeconds: number, now: Date): Promise<void> {
    return this.counts.recordFailure([address, surface], windowSeconds, now);
  }
}
