import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import net from 'node:net';
import pg, { type Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { PIPELINED_CONNECTIONS, type RunSql, poolSql, prepared, transactionOnPool } from './sql.js';
import { deferred, useTestStore } from './test-events.fixture.js';

const db = useTestStore();

describe('statements on the pool', () => {
  it('answers a statement whose session the server ended with an error, and goes on with a new connection', async () => {
    const run = poolSql(db.dataSource);
    const pool = (db.dataSource.driver as PostgresDriver).master as Pool;
    const sleeping = run(prepared(`SELECT pg_sleep(30) AS slept /* ended by the test */`), []);
    // the server ends that session (as at a shutdown or a crash): FATAL, then the socket closes
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ended: { pid: number }[] = await db.dataSource.query(
      `SELECT pid FROM pg_stat_activity WHERE query LIKE '%ended by the test%' AND pid <> pg_backend_pid()`,
    );
    expect(ended).toHaveLength(1);
    await db.dataSource.query(`SELECT pg_terminate_backend($1)`, [ended[0]!.pid]);

    await expect(sleeping).rejects.toThrow();
    // the dead client left the pool (no 'error' went unheard), and statements run on
    expect(await run<{ one: number }>(prepared(`SELECT 1 AS one`), [])).toEqual([{ one: 1 }]);
    expect(pool.totalCount).toBeGreaterThan(0);
  });

  it('pipelines statements in flight at once on a few connections, each answered with its own rows', async () => {
    const run = poolSql(db.dataSource);
    const numbered = prepared(`SELECT $1::int AS n, pg_backend_pid() AS pid`);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) => run<{ n: number; pid: number }>(numbered, [n])),
    );
    expect(answers.map(([row]) => row!.n)).toEqual(Array.from({ length: 40 }, (_, n) => n));
    // 40 in flight together on a pool of 20: a connection per statement would have taken 20
    const backends = new Set(answers.map(([row]) => row!.pid));
    expect(backends.size).toBeLessThanOrEqual(PIPELINED_CONNECTIONS);
  });

  it('fails a statement PostgreSQL refuses alone: its neighbours in the pipeline and the connection go on', async () => {
    const run = poolSql(db.dataSource);
    const dividing = prepared(`SELECT 10 / $1::int AS quotient, pg_backend_pid() AS pid`);
    const divisors = [1, 2, 0, 5, 10];
    const settled = await Promise.allSettled(
      divisors.map((divisor) => run<{ quotient: number; pid: number }>(dividing, [divisor])),
    );
    expect(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value[0]!.quotient : 'refused'))).toEqual(
      [10, 5, 'refused', 2, 1],
    );
    const before = new Set(
      settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value[0]!.pid] : [])),
    );
    // the refusal closed no connection: the next statement runs on one of the same backends
    const [after] = await run<{ pid: number }>(prepared(`SELECT pg_backend_pid() AS pid`), []);
    expect(before.has(after!.pid)).toBe(true);
  });
});

describe('transactions on the pool', () => {
  const transactionId = prepared(`SELECT pg_current_xact_id()::text AS id`);

  it('runs every statement of the work in one transaction, begun without a round trip of its own', async () => {
    const ids = await transactionOnPool(db.dataSource, async ({ run }) => [
      ...(await run<{ id: string }>(transactionId, [])),
      ...(await run<{ id: string }>(transactionId, [])),
    ]);
    expect(ids[0]!.id).toBe(ids[1]!.id);
    // outside a transaction, each statement is one of its own
    const run = poolSql(db.dataSource);
    const [[first], [second]] = await Promise.all([
      run<{ id: string }>(transactionId, []),
      run<{ id: string }>(transactionId, []),
    ]);
    expect(first!.id).not.toBe(second!.id);
  });

  it('rolls back what a savepoint did when it fails, and commits the rest', async () => {
    const table = `tx_test_${Date.now()}`;
    await db.dataSource.query(`CREATE TABLE ${table} (n int PRIMARY KEY)`);
    await transactionOnPool(db.dataSource, async ({ run, savepoint }) => {
      await run(`INSERT INTO ${table} VALUES (1)`, []);
      await expect(
        savepoint(async () => {
          await run(`INSERT INTO ${table} VALUES (2)`, []);
          await run(`INSERT INTO ${table} VALUES (1)`, []);
        }),
      ).rejects.toMatchObject({ code: '23505' });
      await run(`INSERT INTO ${table} VALUES (3)`, []);
    });
    expect(await db.dataSource.query(`SELECT n FROM ${table} ORDER BY n`)).toEqual([{ n: 1 }, { n: 3 }]);
    await db.dataSource.query(`DROP TABLE ${table}`);
  });

  it('refuses to call committed a transaction whose failed statement the work swallowed', async () => {
    const table = `tx_test_${Date.now()}`;
    await db.dataSource.query(`CREATE TABLE ${table} (n int PRIMARY KEY)`);
    const swallowing = transactionOnPool(db.dataSource, async ({ run }) => {
      await run(`INSERT INTO ${table} VALUES (1)`, []);
      await run(prepared(`SELECT 1 / 0`), []).catch(() => undefined);
    });
    await expect(swallowing).rejects.toThrow('the transaction was rolled back: a statement in it failed');
    expect(await db.dataSource.query(`SELECT n FROM ${table}`)).toEqual([]);
    await db.dataSource.query(`DROP TABLE ${table}`);
  });
});

describe('a transaction PostgreSQL ends as the victim of a deadlock', () => {
  it('runs again, and both transactions of the deadlock commit', async () => {
    const table = `tx_deadlock_${Date.now()}`;
    await db.dataSource.query(`CREATE TABLE ${table} (n int PRIMARY KEY, updates int NOT NULL DEFAULT 0)`);
    await db.dataSource.query(`INSERT INTO ${table} (n) VALUES (1), (2)`);
    const update = (run: RunSql, n: number) => run(`UPDATE ${table} SET updates = updates + 1 WHERE n = $1`, [n]);
    const refusals: string[] = [];
    let attempts = 0;
    // each locks its first row, waits until the other has locked its own, then asks for the other's
    const oneLocked = deferred();
    const twoLocked = deferred();
    const crossing = (
      first: number,
      second: number,
      firstLocked: { resolve: () => void },
      otherLocked: Promise<void>,
    ) =>
      transactionOnPool(db.dataSource, async ({ run }) => {
        attempts += 1;
        await update(run, first);
        firstLocked.resolve();
        await otherLocked;
        await update(run, second).catch((error: { code?: string }) => {
          refusals.push(error.code ?? 'none');
          throw error;
        });
      });
    await Promise.all([crossing(1, 2, oneLocked, twoLocked.promise), crossing(2, 1, twoLocked, oneLocked.promise)]);

    // the deadlock happened: PostgreSQL ended one of them, which ran a second time
    expect(refusals).toEqual(['40P01']);
    expect(attempts).toBe(3);
    expect(await db.dataSource.query(`SELECT n, updates FROM ${table} ORDER BY n`)).toEqual([
      { n: 1, updates: 2 },
      { n: 2, updates: 2 },
    ]);
    await db.dataSource.query(`DROP TABLE ${table}`);
  });
});

describe('group commit on the pool', () => {
  const run: RunSql = (statement, parameters) => poolSql(db.dataSource)(statement, parameters);
  /** A grouped statement that names its group's transaction; its first parameter is its key (a stream, for an append). */
  const keyed = prepared(`SELECT $1::text AS key, pg_current_xact_id()::text AS xact`, { committedInGroups: true });

  async function withTable(work: (table: string) => Promise<void>): Promise<void> {
    const table = `group_test_${Date.now()}`;
    await db.dataSource.query(`CREATE TABLE ${table} (key text PRIMARY KEY, xact text NOT NULL)`);
    try {
      await work(table);
    } finally {
      await db.dataSource.query(`DROP TABLE ${table}`);
    }
  }

  it('commits the writes that come together in one transaction, each answered with its own rows', async () => {
    await withTable(async (table) => {
      const insert = prepared(`INSERT INTO ${table} VALUES ($1, pg_current_xact_id()::text) RETURNING key, xact`, {
        committedInGroups: true,
      });
      const keys = Array.from({ length: 10 }, (_, n) => `k${n}`);
      const answers = await Promise.all(keys.map((key) => run<{ key: string; xact: string }>(insert, [key])));

      expect(answers.map(([row]) => row!.key)).toEqual(keys);
      expect(new Set(answers.map(([row]) => row!.xact)).size).toBe(1);
      const stored: { xact: string }[] = await db.dataSource.query(`SELECT DISTINCT xact FROM ${table}`);
      expect(stored).toEqual([{ xact: answers[0]![0]!.xact }]);
    });
  });

  it('fails a write PostgreSQL refuses alone, and commits the others of its group with the next one', async () => {
    await withTable(async (table) => {
      await db.dataSource.query(`INSERT INTO ${table} VALUES ('c', 'before')`);
      const insert = prepared(`INSERT INTO ${table} VALUES ($1, pg_current_xact_id()::text) RETURNING key, xact`, {
        committedInGroups: true,
      });
      const settled = await Promise.allSettled(
        ['a', 'b', 'c', 'd', 'e'].map((key) => run<{ key: string; xact: string }>(insert, [key])),
      );

      expect(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value[0]!.key : 'refused'))).toEqual([
        'a',
        'b',
        'refused',
        'd',
        'e',
      ]);
      expect(settled[2]).toMatchObject({ status: 'rejected', reason: { code: '23505' } });
      const stored: { key: string; xact: string }[] = await db.dataSource.query(
        `SELECT key, xact FROM ${table} ORDER BY key`,
      );
      expect(stored.map((row) => row.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(stored.find((row) => row.key === 'c')!.xact).toBe('before');
      // the first group rolled back whole; the four went on together
      expect(new Set(stored.filter((row) => row.key !== 'c').map((row) => row.xact)).size).toBe(1);
    });
  });

  it('never puts two writes with the same first parameter in one group', async () => {
    const answers = await Promise.all(['s1', 's1', 's2', 's1'].map((key) => run<{ xact: string }>(keyed, [key])));
    const [first, second, other, third] = answers.map(([row]) => row!.xact);

    expect(new Set([first, second, third]).size).toBe(3);
    expect(other).toBe(first);
  });

  it('runs the writes of a group in the order of their first parameters (every group locks streams in one order)', async () => {
    const sequence = `group_order_${Date.now()}`;
    await db.dataSource.query(`CREATE SEQUENCE ${sequence}`);
    try {
      const numbered = prepared(`SELECT $1::text AS key, nextval('${sequence}')::int AS n`, {
        committedInGroups: true,
      });
      const answers = await Promise.all(['c', 'a', 'b'].map((key) => run<{ key: string; n: number }>(numbered, [key])));
      const ran = answers.map(([row]) => row!).sort((x, y) => x.n - y.n);
      expect(ran.map((row) => row.key)).toEqual(['a', 'b', 'c']);
    } finally {
      await db.dataSource.query(`DROP SEQUENCE ${sequence}`);
    }
  });

  it('fails the writes of a group whose session ended, and goes on with a new connection', async () => {
    const sleeping = prepared(`SELECT $1::text AS key, pg_sleep(30) /* group ended by the test */`, {
      committedInGroups: true,
    });
    const group = Promise.allSettled(['a', 'b'].map((key) => run(sleeping, [key])));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ended: { pid: number }[] = await db.dataSource.query(
      `SELECT pid FROM pg_stat_activity WHERE query LIKE '%group ended by the test%' AND pid <> pg_backend_pid()`,
    );
    expect(ended).toHaveLength(1);
    await db.dataSource.query(`SELECT pg_terminate_backend($1)`, [ended[0]!.pid]);

    expect((await group).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(await run<{ key: string }>(keyed, ['after'])).toMatchObject([{ key: 'after' }]);
  });

  it('fails every waiting write when the pool cannot open a connection, and the writes after them too', async () => {
    // a real pool whose server is not there: nothing listens on the port the test closed
    const closed = net.createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 2_000 });
    const runUnreachable = poolSql({ driver: { master: unreachable } } as unknown as DataSource);
    try {
      const waiting = await Promise.allSettled(['a', 'b', 'c'].map((key) => runUnreachable(keyed, [key])));
      expect(
        waiting.map((outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: string }).code),
      ).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
      // nothing is left busy: a later write is tried, and fails as well, instead of waiting forever
      await expect(runUnreachable(keyed, ['d'])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await unreachable.end();
    }
  });
});
