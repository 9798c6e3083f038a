import { Injectable, type OnModuleInit } from '@nestjs/common';
import { sharedCounter, sharedGauge } from '@backchannel/observability';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * Events the deciders accepted, by type, counted once their transaction committed: the flows by
 * outcome (AuthRequested began one; ConsentGiven and ConsentDenied are the user's answers;
 * TokensIssued ended one with tokens; NotificationFailed, ClientNotified, TokensPushed, ... the
 * deliveries). A request that expires unanswered records nothing: expiry is a comparison of times.
 */
export const eventsRecorded = sharedCounter({
  name: 'backchannel_events_recorded_total',
  help: 'Events recorded by commands, by type: flows begun (AuthRequested), answered (ConsentGiven, ConsentDenied), ended with tokens (TokensIssued), and the deliveries.',
  labelNames: ['type'] as const,
});

/** The pool of the process's DataSource, read at scrape time. */
@Injectable()
export class DatabasePoolMetrics implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    const dataSource = this.dataSource;
    sharedGauge({
      name: 'backchannel_db_pool_connections',
      help: 'Connections of the PostgreSQL pool: total open, idle, and callers waiting for one.',
      labelNames: ['state'] as const,
      collect() {
        if (!dataSource.isInitialized) return;
        const pool = (dataSource.driver as PostgresDriver).master as Pool;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
}
