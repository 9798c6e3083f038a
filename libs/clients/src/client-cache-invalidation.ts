import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { CLIENT_CHANGES_CHANNEL, ClientRegistry } from './client-registry.service.js';

/** How long to wait before listening again after the session broke. */
const RECONNECT_MS = 1000;

/**
 * Keeps this replica's cache of clients true to the other replicas' changes: a session that
 * LISTENs on the channel every change of the registry notifies at commit, and forgets the client
 * named. While the session is down the registry does not trust its cache (it reads every client),
 * so a disabled client is refused at once in every replica, whatever CLIENT_CACHE_SECONDS says.
 * The session is opened beside the DataSource's pool, with its settings.
 */
@Injectable()
export class ClientCacheInvalidation implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ClientCacheInvalidation.name);
  private session: pg.Client | null = null;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    const session = this.session;
    this.session = null;
    await session?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master: pg.Pool }).master;
    const session = new pg.Client(pool.options);
    // unhandled, a connection error would end the process
    session.on('error', () => this.lost(session));
    session.on('end', () => this.lost(session));
    session.on('notification', ({ payload }) => {
      if (payload) this.registry.forget(payload);
    });
    try {
      await session.connect();
      await session.query(`LISTEN ${CLIENT_CHANGES_CHANNEL}`);
    } catch (error) {
      this.logger.warn(`cannot listen for client changes (${(error as Error).message}); reading clients uncached`);
      this.lost(session);
      return;
    }
    this.session = session;
    // whatever changed while nobody listened is read again
    this.registry.forgetAll();
    this.registry.cacheTrusted = true;
  }

  private lost(session: pg.Client): void {
    if (this.session === session) this.session = null;
    this.registry.cacheTrusted = false;
    this.registry.forgetAll();
    session.end().catch(() => undefined);
    if (this.stopped || this.reconnect !== undefined) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      void this.listen();
    }, RECONNECT_MS);
    this.reconnect.unref();
  }
}
