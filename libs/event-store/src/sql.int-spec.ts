import { describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { poolSql, prepared } from './sql.js';
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
});
