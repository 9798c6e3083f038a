import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { EventStoreModule } from './event-store.module.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { testStreamId, userNotified } from './test-events.fixture.js';

/** A feature that does not import EventStoreModule: the store reaches it because the module is global. */
@Injectable()
class NotificationLog {
  constructor(readonly store: PostgresEventStore) {}
}

@Module({ providers: [NotificationLog], exports: [NotificationLog] })
class NotificationFeature {}

describe('EventStoreModule', () => {
  it('provides a migrated, connected store to every module and closes the pool at shutdown', async () => {
    const app = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({
          databaseUrl: String(process.env.DATABASE_URL),
          applicationName: 'event-store-module-test',
        }),
        NotificationFeature,
      ],
    }).compile();
    await app.init();
    const dataSource = app.get(DataSource);
    const { store } = app.get(NotificationLog);
    const streamId = testStreamId('module');

    await store.appendToStream(streamId, 0, [userNotified('web-push')]);
    expect((await store.readStream(streamId)).currentVersion).toBe(1);
    expect(store).toBe(app.get(PostgresEventStore));

    await app.close();
    expect(dataSource.isInitialized).toBe(false);
  });
});
