import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';

/** How long to wait before listening again after the session broke. */
const RECONNECT_MS = 1000;

/** A cache of rows that every writer announces on a channel at commit (NOTIFY), in every replica. */
export interface InvalidatedCache {
  /** Forgets what a notification's payload names. */
  forget(payload: string): void;
  forgetAll(): void;
  /** Set while this replica hears the channel; while false the cache must not be trusted (read every time). */
  cacheTrusted: boolean;
}

/**
 * Keeps this replica's caches true to the other replicas' changes: one session per process LISTENs
 * on every registered cache's channel (one session, because PostgreSQL wakes every listening
 * session of the database at each NOTIFY, the event log's included) and hands each notification
 * to the caches of its channel. While the session is down no cache is trusted, so a change made
 * elsewhere (a client or a user disabled) takes effect at once in every replica, whatever a
 * cache's lifetime says. The session is opened beside the DataSource's pool, with its settings,
 * and only when a cache registered.
 */
@Injectable()
export class CacheInvalidation implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CacheInvalidation.name);
  private readonly caches = new Map<string, InvalidatedCache[]>();
  private session: pg.Client | null = null;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Called from the cache's constructor, before the modules start. */
  register(channel: string, cache: InvalidatedCache): void {
    this.caches.set(channel, [...(this.caches.get(channel) ?? []), cache]);
  }

  async onModuleInit(): Promise<void> {
    if (this.caches.size > 0) await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    const session = this.session;
    this.session = null;
    await session?.end().catch(() => undefined);
  }

  private allCaches(): InvalidatedCache[] {
    return [...this.caches.values()].flat();
  }

  private async listen(): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master: pg.Pool }).master;
    const session = new pg.Client(pool.options);
    // unhandled, a connection error would end the process
    session.on('error', () => this.lost(session));
    session.on('end', () => this.lost(session));
    session.on('notification', ({ channel, payload }) => {
      for (const cache of this.caches.get(channel) ?? []) cache.forget(payload ?? '');
    });
    try {
      await session.connect();
      for (const channel of this.caches.keys()) await session.query(`LISTEN ${channel}`);
    } catch (error) {
      this.logger.warn(`cannot listen for changes (${(error as Error).message}); reading uncached`);
      this.lost(session);
      return;
    }
    this.session = session;
    for (const cache of this.allCaches()) {
      // whatever changed while nobody listened is read again
      cache.forgetAll();
      cache.cacheTrusted = true;
    }
  }

  private lost(session: pg.Client): void {
    if (this.session === session) this.session = null;
    for (const cache of this.allCaches()) {
      cache.cacheTrusted = false;
      cache.forgetAll();
    }
    session.end().catch(() => undefined);
    if (this.stopped || this.reconnect !== undefined) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      void this.listen();
    }, RECONNECT_MS);
    this.reconnect.unref();
  }
}
