import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { accept, type Decider, reject, type UserNotified } from '@backchannel/events';
import { WrongExpectedVersionError } from './event-store.js';
import { handleCommand, readStreamState } from './handle-command.js';
import { testStreamId, userNotified, useTestStore } from './test-events.fixture.js';

/** A small decider: notify a user at most `limit` times; notifying on the same channel twice changes nothing. */
interface Notify {
  type: 'Notify';
  data: { channel: string; limit: number };
}
interface Notifications {
  channels: string[];
}
type LimitReached = { code: 'limit_reached' };

const notifications: Decider<Notify, Notifications, UserNotified, LimitReached> = {
  initialState: () => ({ channels: [] }),
  evolve: (state, event) => ({ channels: [...state.channels, event.data.channel] }),
  decide: (command, state) => {
    if (state.channels.includes(command.data.channel)) return accept();
    if (state.channels.length >= command.data.limit) return reject({ code: 'limit_reached' });
    return accept(userNotified(command.data.channel));
  },
};

const notify = (channel: string, limit = 10): Notify => ({ type: 'Notify', data: { channel, limit } });

const db = useTestStore();
/** A second store on the same database: another process, whose appends `db.store` does not see. */
const rival = useTestStore();

describe('handleCommand', () => {
  it('appends the decided events and returns them with the state after them', async () => {
    const streamId = testStreamId('command');
    const result = await handleCommand(db.store, streamId, notifications, notify('web-push'));

    expect(result).toMatchObject({
      outcome: 'accepted',
      events: [{ streamId, streamVersion: 1, type: 'UserNotified', data: { channel: 'web-push' } }],
      state: { channels: ['web-push'] },
    });
    expect((await db.store.readStream(streamId)).events).toEqual(result.outcome === 'accepted' ? result.events : []);
  });

  it('returns a rejection with the current state and appends nothing', async () => {
    const streamId = testStreamId('command-rejected');
    await handleCommand(db.store, streamId, notifications, notify('a', 1));
    const result = await handleCommand(db.store, streamId, notifications, notify('b', 1));

    expect(result).toEqual({ outcome: 'rejected', rejection: { code: 'limit_reached' }, state: { channels: ['a'] } });
    expect((await db.store.readStream(streamId)).currentVersion).toBe(1);
  });

  it('re-reads and re-decides after another writer appended first', async () => {
    const streamId = testStreamId('command-conflict');
    const before = await readStreamState(db.store, streamId, notifications);
    // Another writer slips in between this read and the append.
    await db.store.appendToStream(streamId, 0, [userNotified('sneaky')]);
    const result = await handleCommand(db.store, streamId, notifications, notify('web-push'), { from: before });

    expect(before).toMatchObject({ state: { channels: [] }, version: 0 });
    expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['sneaky', 'web-push'] } });
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 2 });
  });

  it('decides on the given state without reading the stream when it is current', async () => {
    const streamId = testStreamId('command-from');
    const reads = jest.spyOn(db.store, 'readStream');
    try {
      const result = await handleCommand(db.store, streamId, notifications, notify('web-push'), {
        from: { state: notifications.initialState(), version: 0 },
      });
      expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['web-push'] } });
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it('turns into a rejection when the re-read state no longer allows the command', async () => {
    const streamId = testStreamId('command-conflict-rejected');
    const stale = { state: notifications.initialState(), version: 0 };
    await db.store.appendToStream(streamId, 0, [userNotified('sneaky')]);
    const result = await handleCommand(db.store, streamId, notifications, notify('web-push', 1), { from: stale });

    expect(result).toEqual({
      outcome: 'rejected',
      rejection: { code: 'limit_reached' },
      state: { channels: ['sneaky'] },
    });
    expect((await db.store.readStream(streamId)).currentVersion).toBe(1);
  });

  it('accepts exactly as many of many concurrent commands as the rules allow', async () => {
    const streamId = testStreamId('command-race');
    // two stores: two processes, whose commands race (one process's take turns)
    const stores = [db.store, rival.store];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, writer) =>
        handleCommand(stores[writer % 2]!, streamId, notifications, notify(`channel-${writer}`, 3), {
          maxAttempts: 10,
        }),
      ),
    );

    expect(results.filter((result) => result.outcome === 'accepted')).toHaveLength(3);
    expect(results.filter((result) => result.outcome === 'rejected')).toHaveLength(3);
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 3 });
  });

  it('gives up with WrongExpectedVersionError after maxAttempts', async () => {
    const streamId = testStreamId('command-give-up');
    const readStream = db.store.readStream.bind(db.store);
    let reads = 0;
    // every read is overtaken by another writer before the append
    const overtaken = jest.spyOn(db.store, 'readStream').mockImplementation(async (id) => {
      const read = await readStream(id);
      await db.store.appendToStream(streamId, 'any', [userNotified(`sneaky-${++reads}`)]);
      return read;
    });
    try {
      const result = handleCommand(db.store, streamId, notifications, notify('web-push'), { maxAttempts: 3 });
      await expect(result).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect(reads).toBe(3);
    } finally {
      overtaken.mockRestore();
    }
  });

  it('appends nothing and skips inTransaction when the decision has no events', async () => {
    const streamId = testStreamId('command-nothing');
    await handleCommand(db.store, streamId, notifications, notify('web-push'));
    let called = false;
    const result = await handleCommand(db.store, streamId, notifications, notify('web-push'), {
      inTransaction: async () => {
        called = true;
      },
    });

    expect(result).toEqual({ outcome: 'accepted', events: [], state: { channels: ['web-push'] } });
    expect(called).toBe(false);
    expect((await db.store.readStream(streamId)).currentVersion).toBe(1);
  });

  describe('inTransaction', () => {
    it('runs in the same transaction as the append, with the decided events (their stored ids) and the new state', async () => {
      const streamId = testStreamId('command-tx');
      const consumer = `test-${randomUUID()}`;
      const result = await handleCommand(db.store, streamId, notifications, notify('web-push'), {
        inTransaction: async (tx, events, state) => {
          expect(events.map((event) => event.type)).toEqual(['UserNotified']);
          expect(state).toEqual({ channels: ['web-push'] });
          await tx.query('INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)', [
            consumer,
            events[0].eventId,
          ]);
        },
      });

      const rows = await db.dataSource.query('SELECT message_id FROM processed_messages WHERE consumer = $1', [
        consumer,
      ]);
      expect(rows).toEqual([{ message_id: result.outcome === 'accepted' ? result.events[0].eventId : 'none' }]);
    });

    it('is sent behind the append: an append that conflicts is what is thrown (and retried), and the work beside it is rolled back', async () => {
      const streamId = testStreamId('command-tx-conflict');
      // another process appends: this one has not seen it
      await handleCommand(rival.store, streamId, notifications, notify('web-push'));
      const transactions: string[] = [];
      const result = await handleCommand(db.store, streamId, notifications, notify('sms'), {
        // a stale start: the first append conflicts
        from: { state: notifications.initialState(), version: 0 },
        inTransaction: async (tx) => {
          const [{ id }] = await tx.query<{ id: string }>('SELECT pg_current_xact_id()::text AS id', []);
          transactions.push(id);
        },
      });

      expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['web-push', 'sms'] } });
      expect((await db.store.readStream(streamId)).currentVersion).toBe(2);
      // the work ran beside both attempts; the first attempt's transaction was rolled back with its conflict
      expect(transactions).toHaveLength(2);
      const statuses = await db.dataSource.query(
        `SELECT pg_xact_status(id::xid8) AS status FROM unnest($1::text[]) AS id`,
        [transactions],
      );
      expect(statuses).toEqual([{ status: 'aborted' }, { status: 'committed' }]);
    });

    it('rolls the append back when it throws', async () => {
      const streamId = testStreamId('command-tx-rollback');
      const result = handleCommand(db.store, streamId, notifications, notify('web-push'), {
        inTransaction: async () => {
          throw new Error('read model failed');
        },
      });

      await expect(result).rejects.toThrow('read model failed');
      expect((await db.store.readStream(streamId)).currentVersion).toBe(0);
    });
  });
});

describe('handleCommand from the state this process remembers', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("takes turns with the stream's other commands in this process: neither meets a conflict", async () => {
    const streamId = testStreamId('remembered-turns');
    await handleCommand(db.store, streamId, notifications, notify('web-push'));
    const steps: string[] = [];
    const appendToStream = db.store.appendToStream;
    jest.spyOn(db.store, 'appendToStream').mockImplementation(async (id, expected, events, ...rest) => {
      const channel = (events[0]!.data as { channel: string }).channel;
      steps.push(`${channel} appends at ${String(expected)}`);
      const appended = await appendToStream(id, expected, events, ...rest);
      steps.push(`${channel} appended`);
      return appended;
    });
    const reads = jest.spyOn(db.store, 'readStream');
    // both start in this turn of the event loop, before either can append: they race
    const sms = handleCommand(db.store, streamId, notifications, notify('sms'));
    const email = handleCommand(db.store, streamId, notifications, notify('email'));
    steps.push('both started');
    expect(db.store.streamStates.streamsInTurn).toBe(1);

    await expect(Promise.all([sms, email])).resolves.toMatchObject([
      { outcome: 'accepted', state: { channels: ['web-push', 'sms'] } },
      { outcome: 'accepted', state: { channels: ['web-push', 'sms', 'email'] } },
    ]);
    // the second decided on what the first left: no refused append, no re-read
    expect(steps).toEqual(['both started', 'sms appends at 1', 'sms appended', 'email appends at 2', 'email appended']);
    expect(reads).not.toHaveBeenCalled();
    expect(db.store.streamStates.streamsInTurn).toBe(0);
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 3 });
  });

  it('decides on a remembered state newer than the one the caller read, without a conflict', async () => {
    const streamId = testStreamId('remembered-newer');
    await handleCommand(db.store, streamId, notifications, notify('web-push'));
    const readBefore = await readStreamState(db.store, streamId, notifications);
    // this process moves the stream on while the caller works (a delivery, say) from what it read
    await handleCommand(db.store, streamId, notifications, notify('email'));
    const appends = jest.spyOn(db.store, 'appendToStream');
    const reads = jest.spyOn(db.store, 'readStream');
    const result = await handleCommand(db.store, streamId, notifications, notify('sms'), { from: readBefore });

    expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['web-push', 'email', 'sms'] } });
    expect(appends).toHaveBeenCalledTimes(1);
    expect(appends.mock.calls[0]![1]).toBe(2);
    expect(reads).not.toHaveBeenCalled();
  });

  it('does not read the stream again after its own append', async () => {
    const streamId = testStreamId('remembered');
    await handleCommand(db.store, streamId, notifications, notify('web-push'));
    const reads = jest.spyOn(db.store, 'readStream');
    const result = await handleCommand(db.store, streamId, notifications, notify('sms'));

    expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['web-push', 'sms'] } });
    expect(reads).not.toHaveBeenCalled();
  });

  it('appends after another process moved the stream on: the conflict re-reads and decides again', async () => {
    const streamId = testStreamId('remembered-stale');
    await handleCommand(db.store, streamId, notifications, notify('web-push'));
    await handleCommand(rival.store, streamId, notifications, notify('email'));

    const result = await handleCommand(db.store, streamId, notifications, notify('sms'));

    expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['web-push', 'email', 'sms'] } });
    expect((await db.store.readStream(streamId)).currentVersion).toBe(3);
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: 3 });
  });

  it('refuses only on a fresh read: a remembered state that would refuse is read again', async () => {
    const streamId = testStreamId('remembered-refusal');
    // this process remembers two channels; the stream, written by another, has only one (a limit of 2 refuses on the first)
    await handleCommand(db.store, streamId, notifications, notify('a'));
    db.store.streamStates.remember(streamId, notifications, { state: { channels: ['a', 'b'] }, version: 1 });

    const result = await handleCommand(db.store, streamId, notifications, notify('c', 2));

    expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['a', 'c'] } });
  });

  it('finds nothing to do only on a fresh read', async () => {
    const streamId = testStreamId('remembered-nothing');
    await handleCommand(db.store, streamId, notifications, notify('a'));
    // remembered: 'b' already notified; the stream says otherwise
    db.store.streamStates.remember(streamId, notifications, { state: { channels: ['a', 'b'] }, version: 1 });

    const result = await handleCommand(db.store, streamId, notifications, notify('b'));

    expect(result).toMatchObject({ outcome: 'accepted', state: { channels: ['a', 'b'] } });
    expect((await db.store.readStream(streamId)).currentVersion).toBe(2);
  });
});
