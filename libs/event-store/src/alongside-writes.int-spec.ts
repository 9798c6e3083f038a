import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WrongExpectedVersionError } from './event-store.js';
import { type AlongsideWrites, alongsideStatement } from './alongside-writes.js';
import { handleCommand } from './handle-command.js';
import { testStreamId, userNotified, useTestStore } from './test-events.fixture.js';
import type { Decider, Event } from '@backchannel/events';

// registered before the store's own afterAll, which closes the connections
afterAll(async () => {
  await db.dataSource.query(`DROP TABLE alongside_notes, alongside_copies`);
});
const db = useTestStore();

beforeAll(async () => {
  await db.dataSource.query(
    `CREATE TABLE IF NOT EXISTS alongside_notes (stream_id text PRIMARY KEY, note text NOT NULL)`,
  );
  await db.dataSource.query(
    `CREATE TABLE IF NOT EXISTS alongside_copies (stream_id text PRIMARY KEY, note text NOT NULL)`,
  );
});

/** Notes the stream, and copies the note through the first write's RETURNING (a later write reads an earlier one). */
function noting(streamId: string, note: string): AlongsideWrites {
  return {
    statements: [
      {
        name: 'noted',
        sql: `INSERT INTO alongside_notes (stream_id, note) SELECT $1, $2 WHERE EXISTS (SELECT FROM appending)
              RETURNING stream_id`,
      },
      {
        name: 'copied',
        sql: `INSERT INTO alongside_copies (stream_id, note) SELECT stream_id, $2 FROM noted`,
      },
    ],
    parameters: [streamId, note],
  };
}

/** The note, when both writes made it (the copy must agree). */
async function noteOf(streamId: string): Promise<string | undefined> {
  const rows: { note: string; copy: string | null }[] = await db.dataSource.query(
    `SELECT n.note, c.note AS copy FROM alongside_notes n LEFT JOIN alongside_copies c USING (stream_id)
      WHERE stream_id = $1`,
    [streamId],
  );
  if (rows[0] && rows[0].copy !== rows[0].note) throw new Error(`copy ${rows[0].copy} of note ${rows[0].note}`);
  return rows[0]?.note;
}

describe('writes made in the append statement', () => {
  // one event and several are appended by statements of two shapes (events.table.ts): both carry the writes
  it.each([1, 3])('are made exactly when the events are stored (%i events)', async (count) => {
    const streamId = testStreamId('alongside');
    const events = Array.from({ length: count }, (_, index) => userNotified(`webhook-${index}`));
    const appended = await db.store.appendToStream(streamId, 0, events, noting(streamId, 'first'));

    expect(appended.nextExpectedVersion).toBe(count);
    expect(await noteOf(streamId)).toBe('first');
    expect(await db.store.verifyStream(streamId)).toEqual({ valid: true, length: count });
  });

  it('are not made when the expected version is stale (no head at that version)', async () => {
    const streamId = testStreamId('alongside-stale');
    await db.store.appendToStream(streamId, 0, [userNotified('webhook')]);
    await db.store.appendToStream(streamId, 1, [userNotified('sms')]);

    // version 5 does not exist: the append finds no head and must not write the note either
    await expect(
      db.store.appendToStream(streamId, 5, [userNotified('email')], noting(streamId, 'stale')),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await noteOf(streamId)).toBeUndefined();
    expect((await db.store.readStream(streamId)).currentVersion).toBe(2);
  });

  it('are rolled back with the append when another writer took the version (unique violation)', async () => {
    const streamId = testStreamId('alongside-race');
    await db.store.appendToStream(streamId, 0, [userNotified('webhook')]);

    await expect(
      db.store.appendToStream(streamId, 0, [userNotified('sms')], noting(streamId, 'lost')),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await noteOf(streamId)).toBeUndefined();
  });

  it('take the events down with them when a write fails', async () => {
    const streamId = testStreamId('alongside-failing');
    await db.dataSource.query(`INSERT INTO alongside_notes (stream_id, note) VALUES ($1, 'already')`, [streamId]);

    await expect(
      db.store.appendToStream(streamId, 0, [userNotified('webhook')], noting(streamId, 'twice')),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await db.store.readStream(streamId)).currentVersion).toBe(0);
  });

  it('are refused when a write does not depend on the append going ahead', async () => {
    const streamId = testStreamId('alongside-unguarded');
    const unguarded: AlongsideWrites = {
      statements: [{ name: 'noted', sql: `INSERT INTO alongside_notes (stream_id, note) VALUES ($1, 'x')` }],
      parameters: [streamId],
    };

    await expect(db.store.appendToStream(streamId, 0, [userNotified('webhook')], unguarded)).rejects.toThrow(
      'must act only WHERE EXISTS (SELECT FROM appending)',
    );
    expect((await db.store.readStream(streamId)).currentVersion).toBe(0);
  });

  it('are the same writes as a statement of their own, for a transaction', async () => {
    const streamId = testStreamId('alongside-standalone');
    const { statement, parameters } = alongsideStatement(noting(streamId, 'alone'));
    await db.store.transaction((tx) => tx.query(statement, parameters));

    expect(await noteOf(streamId)).toBe('alone');
  });

  it('through handleCommand: made with an accepted decision, not with a rejected or empty one', async () => {
    type Command = { type: 'Note' | 'Refuse' | 'Nothing' };
    const decider: Decider<Command, number, Event, string> = {
      initialState: () => 0,
      evolve: (count) => count + 1,
      decide: (command) =>
        command.type === 'Refuse'
          ? { outcome: 'rejected', rejection: 'refused' }
          : { outcome: 'accepted', events: command.type === 'Note' ? [userNotified('webhook')] : [] },
    };
    const refused = testStreamId('alongside-refused');
    const empty = testStreamId('alongside-empty');
    const accepted = testStreamId('alongside-accepted');

    await handleCommand(db.store, refused, decider, { type: 'Refuse' }, { alongside: noting(refused, 'no') });
    await handleCommand(db.store, empty, decider, { type: 'Nothing' }, { alongside: noting(empty, 'no') });
    const result = await handleCommand(
      db.store,
      accepted,
      decider,
      { type: 'Note' },
      { alongside: noting(accepted, 'yes') },
    );

    expect(result).toMatchObject({ outcome: 'accepted', state: 1 });
    expect([await noteOf(refused), await noteOf(empty), await noteOf(accepted)]).toEqual([undefined, undefined, 'yes']);
  });
});
