import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { NewEvent, RecordedEvent } from '@backchannel/events';
import type { LogCheckpoint } from './event-store.js';
import { retryOnVersionConflict } from './postgres-event-store.js';
import { deferred, testStreamId, userNotified, useTestStore } from './test-events.fixture.js';

const db = useTestStore(40);

/**
 * Reads the log from `from` a page at a time, keeping the events of `streams`, until it has seen
 * `expectedCount()` of them (undefined while writers are still at work).
 */
async function tailLog(
  from: LogCheckpoint,
  streams: string[],
  expectedCount: () => number | undefined,
  pageSize: number,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  let checkpoint = from;
  // A bound on waiting, not on speed: open transactions anywhere in the cluster hold the log back.
  const giveUpAt = Date.now() + 20_000;
  while (seen.length < (expectedCount() ?? Infinity) && Date.now() < giveUpAt) {
    const page = await db.store.readLog(checkpoint, pageSize);
    expect(page.events.length).toBeLessThanOrEqual(pageSize);
    expect(page.checkpoint.globalPosition).toBe(page.events.at(-1)?.globalPosition ?? checkpoint.globalPosition);
    checkpoint = page.checkpoint;
    seen.push(...page.events.filter((event) => streams.includes(event.streamId)));
    if (page.events.length === 0) await sleep(2);
  }
  return seen;
}

describe('readLog', () => {
  it('loses no event when many writers commit out of order', async () => {
    const streams = Array.from({ length: 6 }, () => testStreamId('log'));
    const start = await db.store.currentLogCheckpoint();
    const appended: RecordedEvent[] = [];
    let writersDone = false;
    const reader = tailLog(start, streams, () => (writersDone ? appended.length : undefined), 7);

    // Each writer appends in a transaction and holds it open before committing. The first one
    // takes the oldest transaction id and commits last, while younger ones commit under it.
    const write = (writer: number, holdMs: number, appendedSignal?: () => void) =>
      retryOnVersionConflict(100, () =>
        db.store.transaction(async (tx) => {
          const streamId = streams[writer % streams.length];
          const batch = Array.from({ length: 1 + (writer % 3) }, (_, index) => userNotified(`w${writer}-${index}`));
          const result = await tx.appendToStream(streamId, 'any', batch);
          appendedSignal?.();
          await sleep(holdMs);
          return result.events;
        }),
      );
    const firstAppended = deferred();
    const writers = [write(0, 400, firstAppended.resolve)];
    await firstAppended.promise;
    for (let writer = 1; writer < 30; writer++) {
      writers.push(write(writer, Math.floor(Math.random() * 120)));
      await sleep(Math.floor(Math.random() * 6));
    }
    for (const events of await Promise.all(writers)) appended.push(...events);
    writersDone = true;
    const seen = await reader;

    expect(seen.map((event) => event.eventId).sort()).toEqual(appended.map((event) => event.eventId).sort());
    expect(new Set(seen.map((event) => event.eventId)).size).toBe(seen.length);
    for (const streamId of streams) {
      const versions = seen.filter((event) => event.streamId === streamId).map((event) => event.streamVersion);
      expect(versions).toEqual(versions.map((_, index) => index + 1));
    }
    expect(seen).toEqual(
      expect.arrayContaining(
        appended.map((event) => expect.objectContaining({ eventId: event.eventId, hash: event.hash })),
      ),
    );
  }, 30_000);

  it('returns the checkpoint it was given when nothing new is visible', async () => {
    const head = await db.store.currentLogCheckpoint();
    const { events, checkpoint } = await db.store.readLog(
      { transactionId: '18446744073709551615', globalPosition: head.globalPosition },
      10,
    );
    expect(events).toEqual([]);
    expect(checkpoint).toEqual({ transactionId: '18446744073709551615', globalPosition: head.globalPosition });
  });

  it('pages through the events of one transaction, one at a time, in version order', async () => {
    const streamId = testStreamId('log-page');
    const before = await db.store.currentLogCheckpoint();
    await db.store.transaction(async (tx) => {
      await tx.appendToStream(streamId, 0, [userNotified('a'), userNotified('b'), userNotified('c')]);
    });

    const seen = await tailLog(before, [streamId], () => 3, 1);
    expect(seen.map((event) => event.streamVersion)).toEqual([1, 2, 3]);
  });

  it('reads only the wanted event types, moving its checkpoint past the others', async () => {
    const streamId = testStreamId('log-types');
    const before = await db.store.currentLogCheckpoint();
    // readLog does not upcast, so the data need not fit the type
    const other = { ...userNotified('b'), type: 'NotificationFailed' } as NewEvent;
    const { events: appended } = await db.store.appendToStream(streamId, 0, [
      userNotified('a'),
      other,
      userNotified('c'),
    ]);

    let checkpoint = before;
    const seen: RecordedEvent[] = [];
    const giveUpAt = Date.now() + 20_000;
    while (checkpoint.globalPosition !== appended[2].globalPosition) {
      if (Date.now() > giveUpAt) throw new Error('the appended events never became visible');
      const page = await db.store.readLog(checkpoint, 1, ['NotificationFailed']);
      expect(page.scanned).toBeLessThanOrEqual(1);
      seen.push(...page.events);
      checkpoint = page.checkpoint;
      if (page.scanned === 0) await sleep(2);
    }
    const ours = seen.filter((event) => event.streamId === streamId);
    expect(ours).toEqual([expect.objectContaining({ eventId: appended[1].eventId, data: appended[1].data })]);
    expect(seen.every((event) => event.type === 'NotificationFailed')).toBe(true);
  });
});
