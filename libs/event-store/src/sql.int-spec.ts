import { describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { PIPELINED_CONNECTIONS, type RunSql, poolSql, prepared, transactionOnPool } from './sql.js';
import { useTestStore } from './test-events.fixture.js';

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
});
