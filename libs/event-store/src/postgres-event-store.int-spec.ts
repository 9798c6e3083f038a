import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { WrongExpectedVersionError } from './event-store.js';
import { deferred, testStreamId, userNotified, useTestStore, waitForBlockedStatements } from './test-events.fixture.js';

const db = useTestStore();

describe('append and read', () => {
  it('reads back what was appended, with versions, positions and a valid hash chain', async () => {
    const streamId = testStreamId('round-trip');
    const eventId = randomUUID();
    const first = await db.store.appendToStream(streamId, 0, [{ ...userNotified('web-push'), eventId }]);
    const second = await db.store.appendToStream(streamId, 1, [
      userNotified('webhook', 'device-1'),
      userNotified('email'),
    ]);

    expect(first.nextExpectedVersion).toBe(1);
    expect(second.nextExpectedVersion).toBe(3);
    expect(BigInt(second.globalPositions[0])).toBeGreaterThan(BigInt(first.globalPositions[0]));

    const stream = await db.store.readStream(streamId);
    expect(stream.currentVersion).toBe(3);
    expect(stream.events).toEqual([...first.events, ...second.events]);
    expect(stream.events.map((event) => [event.streamVersion, (event.data as { channel: string }).channel])).toEqual([
      [1, 'web-push'],
      [2, 'webhook'],
      [3, 'email'],
    ]);
    expect(stream.events[0]).toMatchObject({
      streamId,
      eventId,
      type: 'UserNotified',
      schemaVersion: 1,
      previousHash: '',
    });
    expect(stream.events[1].previousHash).toBe(stream.events[0].hash);
    expect(stream.events[2].previousHash).toBe(stream.events[1].hash);
    expect(new Date(stream.events[0].recordedAt).toISOString()).toBe(stream.events[0].recordedAt);
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 3 });
  });

  it('reads a stream that does not exist as empty at version 0', async () => {
    expect(await db.store.readStream(testStreamId('missing'))).toEqual({ currentVersion: 0, events: [] });
  });

  it('stores values as plain JSON, and the hashes cover exactly what is stored', async () => {
    const streamId = testStreamId('json');
    const event = userNotified('sms');
    const data = { ...event.data, extra: undefined, nested: { z: 'ü "quoted" \u2028', a: [1.5, 1e21, -0] } };
    await db.store.appendToStream(streamId, 0, [{ ...event, data }]);

    const [stored] = (await db.store.readStream(streamId)).events;
    expect(stored.data).toEqual(JSON.parse(JSON.stringify(data)));
    expect(stored.data).not.toHaveProperty('extra');
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 1 });
  });
});

describe('expected version', () => {
  it('refuses an append at a version the stream is not at', async () => {
    const streamId = testStreamId('wrong-version');
    await db.store.appendToStream(streamId, 0, [userNotified('a'), userNotified('b')]);

    for (const stale of [0, 1, 3]) {
      const append = db.store.appendToStream(streamId, stale, [userNotified('late')]);
      await expect(append).rejects.toBeInstanceOf(WrongExpectedVersionError);
      await expect(append).rejects.toMatchObject({ streamId, expectedVersion: stale });
    }
    expect((await db.store.readStream(streamId)).currentVersion).toBe(2);
  });

  it('keeps its connection when PostgreSQL refuses an append (a conflict is no broken connection)', async () => {
    const streamId = testStreamId('conflict-connection');
    await db.store.appendToStream(streamId, 0, [userNotified('first')]);
    const pool = (db.dataSource.driver as PostgresDriver).master as Pool;
    let opened = 0;
    const onConnect = () => (opened += 1);
    pool.on('connect', onConnect);
    try {
      // a unique violation each time: another writer took version 1 (see the race below)
      for (let attempt = 0; attempt < 5; attempt++) {
        await expect(db.store.appendToStream(streamId, 0, [userNotified('late')])).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
      }
      await db.store.readStream(streamId);
    } finally {
      pool.off('connect', onConnect);
    }

    // the pool opened no connection to replace one closed for a refusal
    expect(opened).toBe(0);
  });

  it('lets exactly one of many concurrent appends at the same version win', async () => {
    const streamId = testStreamId('race');
    await db.store.appendToStream(streamId, 0, [userNotified('first')]);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, writer) =>
        db.store.appendToStream(streamId, 1, [userNotified(`writer-${writer}`)]),
      ),
    );

    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.map((loser) => loser.reason)).toEqual(
      Array.from({ length: 9 }, () => expect.any(WrongExpectedVersionError)),
    );
    expect((await db.store.readStream(streamId)).currentVersion).toBe(2);
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 2 });
  });

  // one event per append is chained without recursion, several by a recursive CTE: both shapes race here
  it.each([1, 2])(
    "appends 'any' after whatever is there, keeping the chain valid under concurrency (%i per append)",
    async (perAppend) => {
      const streamId = testStreamId(`any-${perAppend}`);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, writer) =>
          db.store.appendToStream(
            streamId,
            'any',
            Array.from({ length: perAppend }, (_, index) => userNotified(`writer-${writer}-${index}`)),
          ),
        ),
      );

      const stream = await db.store.readStream(streamId);
      expect(stream.currentVersion).toBe(12 * perAppend);
      expect(results.map((result) => result.nextExpectedVersion).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, index) => perAppend * (index + 1)),
      );
      // Each writer's events stay adjacent: one statement appends them together.
      for (const result of results) {
        const channels = result.events.map((event) => (event.data as { channel: string }).channel);
        const writer = channels[0].replace(/-0$/, '');
        expect(channels).toEqual(Array.from({ length: perAppend }, (_, index) => `${writer}-${index}`));
        expect(result.events.map((event) => event.streamVersion - result.events[0].streamVersion)).toEqual(
          Array.from({ length: perAppend }, (_, index) => index),
        );
      }
      expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 12 * perAppend });
    },
  );
});

describe('transactions', () => {
  it('commits appends and the caller’s statements together', async () => {
    const streamId = testStreamId('tx-commit');
    const consumer = `test-${randomUUID()}`;
    const messageId = randomUUID();
    await db.store.transaction(async (tx) => {
      await tx.appendToStream(streamId, 0, [userNotified('a')]);
      await tx.appendToStream(streamId, 1, [userNotified('b')]);
      await tx.query('INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)', [consumer, messageId]);
    });

    expect((await db.store.readStream(streamId)).currentVersion).toBe(2);
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 2 });
    expect(
      await db.dataSource.query('SELECT message_id FROM processed_messages WHERE consumer = $1', [consumer]),
    ).toEqual([{ message_id: messageId }]);
  });

  it('rolls everything back when the work throws', async () => {
    const streamId = testStreamId('tx-rollback');
    const consumer = `test-${randomUUID()}`;
    const work = db.store.transaction(async (tx) => {
      await tx.appendToStream(streamId, 0, [userNotified('a')]);
      await tx.query('INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)', [consumer, randomUUID()]);
      throw new Error('handler failed');
    });

    await expect(work).rejects.toThrow('handler failed');
    expect((await db.store.readStream(streamId)).currentVersion).toBe(0);
    expect(await db.dataSource.query('SELECT 1 FROM processed_messages WHERE consumer = $1', [consumer])).toEqual([]);
  });

  it("retries an 'any' append that lost the race to an older transaction, without aborting its own", async () => {
    const streamId = testStreamId('tx-any-race');
    const consumer = `test-${randomUUID()}`;
    const olderAppended = deferred();
    const commitOlder = deferred();
    const older = db.store.transaction(async (tx) => {
      await tx.appendToStream(streamId, 'any', [userNotified('older')]);
      olderAppended.resolve();
      await commitOlder.promise;
    });
    await olderAppended.promise;

    const younger = db.store.transaction(async (tx) => {
      const appended = await tx.appendToStream(streamId, 'any', [userNotified('younger')]);
      await tx.query('INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)', [consumer, randomUUID()]);
      return appended;
    });
    // The younger append waits for the older transaction's version 1, then loses on the unique key.
    await waitForBlockedStatements(db.dataSource, 1);
    commitOlder.resolve();

    await older;
    expect((await younger).events.map((event) => event.streamVersion)).toEqual([2]);
    expect(await db.dataSource.query('SELECT 1 FROM processed_messages WHERE consumer = $1', [consumer])).toHaveLength(
      1,
    );
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 2 });
  });

  it('refuses to append behind an event of a younger transaction, which the log would order first', async () => {
    const streamId = testStreamId('tx-younger-first');
    const olderStarted = deferred();
    const youngerCommitted = deferred();
    const older = db.store.transaction(async (tx) => {
      await tx.query('INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)', [
        `test-${randomUUID()}`,
        randomUUID(),
      ]);
      olderStarted.resolve();
      await youngerCommitted.promise;
      await tx.appendToStream(streamId, 'any', [userNotified('older')]);
    });
    await olderStarted.promise;
    await db.store.appendToStream(streamId, 0, [userNotified('younger')]);
    youngerCommitted.resolve();

    await expect(older).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect((await db.store.readStream(streamId)).currentVersion).toBe(1);
  });

  it('returns rows of the caller’s statements, including UPDATE ... RETURNING', async () => {
    const consumer = `test-${randomUUID()}`;
    const messageId = randomUUID();
    const rows = await db.store.transaction(async (tx) => {
      await tx.query('INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)', [consumer, messageId]);
      return tx.query<{ message_id: string }>(
        'UPDATE processed_messages SET processed_at = now() WHERE consumer = $1 RETURNING message_id',
        [consumer],
      );
    });
    expect(rows).toEqual([{ message_id: messageId }]);
  });
});

describe('the events table', () => {
  it('rejects UPDATE and DELETE, whoever holds the connection', async () => {
    const streamId = testStreamId('append-only');
    await db.store.appendToStream(streamId, 0, [userNotified('a')]);

    await expect(db.dataSource.query(`UPDATE events SET data = '{}' WHERE stream_id = $1`, [streamId])).rejects.toThrow(
      'events are append-only',
    );
    await expect(db.dataSource.query('DELETE FROM events WHERE stream_id = $1', [streamId])).rejects.toThrow(
      'events are append-only',
    );
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 1 });
  });
});
