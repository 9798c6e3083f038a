import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { NewEvent, UserNotified } from '@backchannel/events';
import { PostgresEventStore } from './postgres-event-store.js';
import { createDataSource } from './postgres.data-source.js';

const TEST_APPLICATION_NAME = `event-store-tests-${process.pid}`;

/** An initialized DataSource on the test database (the global setup has migrated it). */
export function openTestDataSource(poolSize = 20): Promise<DataSource> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  return createDataSource(databaseUrl, { poolSize, applicationName: TEST_APPLICATION_NAME }).initialize();
}

/** A store on the test database, opened before the enclosing test file's tests and closed after them. */
export function useTestStore(poolSize?: number): { dataSource: DataSource; store: PostgresEventStore } {
  const session = {} as { dataSource: DataSource; store: PostgresEventStore };
  beforeAll(async () => {
    session.dataSource = await openTestDataSource(poolSize);
    session.store = new PostgresEventStore(session.dataSource);
  });
  afterAll(() => session.dataSource.destroy());
  return session;
}

/** A stream id no other test uses. */
export function testStreamId(purpose: string): string {
  return `test-${purpose}-${randomUUID()}`;
}

/** A valid event of a known type (stream reads upcast, so the type must be one the code knows). */
export function userNotified(channel: string, deviceId: string | null = null): NewEvent<UserNotified> {
  return {
    type: 'UserNotified',
    schemaVersion: 1,
    data: { requestId: 'request-1', subject: 'user-1', channel, deviceId },
    metadata: { correlationId: randomUUID(), actor: 'system:test', occurredAt: new Date().toISOString() },
  };
}

/** A promise and the function that resolves it, to choreograph concurrent transactions. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** Waits until `count` of this test process's statements wait on a lock (another transaction's row). */
export async function waitForBlockedStatements(dataSource: DataSource, count: number): Promise<void> {
  for (;;) {
    const [{ blocked }] = await dataSource.query<{ blocked: number }[]>(
      `SELECT count(*)::integer AS blocked FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
      [TEST_APPLICATION_NAME],
    );
    if (blocked >= count) return;
    await sleep(5);
  }
}
