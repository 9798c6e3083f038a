import { createHash } from 'node:crypto';
import pg, { type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';

const { DatabaseError } = pg;
import type { DataSource, QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * A statement of the hot path that PostgreSQL parses and plans once per connection (a named
 * prepared statement) instead of on every call: for the log's append, a recursive CTE, that is most
 * of its cost. The name is derived from the text, so one name never means two statements.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
  /**
   * A write the pool may commit in one transaction with others (GroupCommits): only for a statement
   * that takes no lock but its own rows', whose first parameter names what it writes (an append's
   * stream: two writes with the same are never in one group).
   */
  readonly committedInGroups: boolean;
}

const preparedByText = new Map<string, PreparedStatement>();

/**
 * The prepared statement of a text; one per distinct text, so a text built at run time can be
 * prepared too. `committedInGroups`: see PreparedStatement.
 */
export function prepared(text: string, { committedInGroups = false } = {}): PreparedStatement {
  const key = `${committedInGroups ? 'grouped' : 'alone'}:${text}`;
  let statement = preparedByText.get(key);
  if (!statement) {
    const name = `bc_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statement = { name, text, committedInGroups };
    preparedByText.set(key, statement);
  }
  return statement;
}

/** Plain text (parsed each time: for statements that vary or are rare), or prepared. */
export type Statement = string | PreparedStatement;

/** Runs one parameterized statement ($1, $2, ...) and returns its rows. */
export type RunSql = <Row>(statement: Statement, parameters: unknown[]) => Promise<Row[]>;

async function onClient<Row>(client: Pick<PoolClient, 'query'>, statement: PreparedStatement, parameters: unknown[]) {
  const result = await client.query<QueryResultRow>({ name: statement.name, text: statement.text, values: parameters });
  return result.rows as Row[];
}

/**
 * Statements on the pool, each in its own transaction. Prepared ones (the hot path) are pipelined
 * on a few shared connections (PipelinedConnections); the others go through TypeORM, each on a
 * connection of its own, so a rare, long statement never holds up the hot path.
 */
export function poolSql(dataSource: DataSource): RunSql {
  return async <Row>(statement: Statement, parameters: unknown[]) => {
    if (typeof statement === 'string') return (await dataSource.query(statement, parameters)) as Row[];
    return pipelinedConnectionsOf(dataSource).run<Row>(statement, parameters);
  };
}

/**
 * SQLSTATE classes that mean the session, not the statement, failed: connection exception,
 * insufficient resources, operator intervention (a shutdown, a crash of the server), system error,
 * internal error.
 */
const SESSION_FAILURE_CLASSES = new Set(['08', '53', '57', '58', 'XX']);

/** What PostgreSQL answers to a statement sent in a transaction a failed statement aborted. */
const IN_FAILED_TRANSACTION = '25P02';

/** PostgreSQL refused the statement (a constraint, a conflict, bad data) and the session goes on. */
function isStatementRefusal(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  return error.severity === 'ERROR' && !SESSION_FAILURE_CLASSES.has(error.code?.slice(0, 2) ?? 'XX');
}

/**
 * How many of the pool's connections the prepared statements outside transactions share. Two
 * measured best on two cores (one: 103, two: 106, four: 97 flows/s; docs/performance.md).
 */
export const PIPELINED_CONNECTIONS = 2;

/** The node-postgres client's socket (pg corks it itself around one statement's messages). */
function socketOf(client: PoolClient): { cork(): void; uncork(): void } {
  return (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection.stream;
}

/** The corked clients of this turn, each with what is to be sent just before its socket is uncorked. */
const corkedClients = new WeakMap<PoolClient, (() => void)[]>();

/**
 * Holds the client's statements of this turn of the event loop back, to write them together once
 * the turn is over: in pipeline mode, statements sent in one turn then cost one system call.
 * `beforeWrite` runs at the end of the turn, before the write (it may still send statements).
 */
function corkForThisTurn(client: PoolClient, beforeWrite?: () => void): void {
  let lastSends = corkedClients.get(client);
  if (!lastSends) {
    const sends: (() => void)[] = [];
    lastSends = sends;
    corkedClients.set(client, sends);
    const socket = socketOf(client);
    socket.cork();
    setImmediate(() => {
      // what these send (more statements, more sends) still leaves in this write
      for (const send of sends) send();
      corkedClients.delete(client);
      socket.uncork();
    });
  }
  if (beforeWrite) lastSends.push(beforeWrite);
}

/**
 * How long a pipelined connection stays checked out with nothing in flight. Kept under load (a
 * connection given back after every lull and taken out again lands the statements on ever other
 * PostgreSQL backends: 91 against 105 flows/s), given back when idle so the pool can end and close it.
 */
const PIPELINED_IDLE_MS = 50;

/**
 * A client taken out of the pool, listened to while it is out: a checked-out client has no
 * listener of its own, and unheard, a dying socket's 'error' would be thrown out of pg's handlers
 * (pool.query listens the same way). Given back with the session's failure, if any, so the pool
 * closes a connection that may never answer again.
 */
class CheckedOutClient {
  private failure: Error | undefined;
  private readonly onSessionError = (error: Error) => {
    this.fail(error);
    this.onFailure?.(error);
  };

  constructor(
    readonly client: PoolClient,
    private readonly onFailure?: (error: Error) => void,
  ) {
    client.on('error', this.onSessionError);
  }

  /** The session failed (not merely a statement): the pool must close it. */
  fail(error: Error): void {
    this.failure ??= error;
  }

  release(): void {
    this.client.removeListener('error', this.onSessionError);
    this.client.release(this.failure);
  }
}

/**
 * One pooled connection in pg's pipeline mode (the pool's clients are made with `pipeline: true`),
 * kept checked out while statements come. A statement is written without waiting for those before
 * it, and the statements of one turn of the event loop leave in one write: one system call and
 * one wake of one PostgreSQL backend for them all, where a connection per statement cost each of
 * them its own (on two cores, the largest single cost of a flow: docs/performance.md). Each
 * statement still has its own Sync, so its own implicit transaction: a statement PostgreSQL
 * refuses fails alone, and the session goes on. Anything else (a FATAL, a server going down, a
 * broken socket) fails every statement in flight on the connection, which then takes no more and
 * is closed: such a session may never answer again.
 */
class PipelinedConnection {
  private inFlight = 0;
  private detached = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly checkedOut: CheckedOutClient;

  constructor(
    private readonly client: PoolClient,
    /** Called once, when the connection takes no more statements. */
    private readonly onDetached: (connection: PipelinedConnection) => void,
  ) {
    this.checkedOut = new CheckedOutClient(client, () => this.detach());
  }

  get load(): number {
    return this.inFlight;
  }

  /** Runs the statement here, or returns null when this connection takes no more statements. */
  run<Row>(statement: PreparedStatement, parameters: unknown[]): Promise<Row[]> | null {
    if (!this.enter(1)) return null;
    return this.send(statement, parameters).then((result) => result.rows as Row[]);
  }

  /**
   * Sends the statements between one BEGIN and one COMMIT (GroupCommits), or returns null when this
   * connection takes no more statements. Settles when all have answered, however each did.
   */
  commitTogether(statements: readonly GroupedStatement[]): Promise<GroupOutcome> | null {
    if (!this.enter(statements.length + 2)) return null;
    const begun = this.send('BEGIN', []);
    const answered = statements.map(({ statement, parameters }) => this.send(statement, parameters));
    const committed = this.send('COMMIT', []);
    return Promise.allSettled([begun, committed, ...answered]).then(([begin, commit, ...answers]) => {
      const sessionFailure = [begin!, commit!, ...answers].find(
        (outcome): outcome is PromiseRejectedResult =>
          outcome.status === 'rejected' && !isStatementRefusal(outcome.reason),
      );
      return {
        answers,
        committed: commit!.status === 'fulfilled' && commit!.value.command === 'COMMIT',
        sessionFailure: sessionFailure?.reason,
      };
    });
  }

  /** `work` runs at the end of this turn, just before the turn's statements are written. */
  atEndOfTurn(work: () => void): void {
    corkForThisTurn(this.client, work);
  }

  private enter(statements: number): boolean {
    if (this.detached) return false;
    clearTimeout(this.idleTimer);
    this.inFlight += statements;
    corkForThisTurn(this.client);
    return true;
  }

  /** Sends a statement counted in flight (a prepared one, or a plain one such as BEGIN). */
  private async send(statement: Statement, parameters: unknown[]): Promise<QueryResult> {
    try {
      return typeof statement === 'string'
        ? await this.client.query(statement)
        : await this.client.query<QueryResultRow>({ name: statement.name, text: statement.text, values: parameters });
    } catch (error) {
      if (!isStatementRefusal(error)) this.fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        if (this.detached) this.checkedOut.release();
        else this.idleTimer = setTimeout(() => this.detach(), PIPELINED_IDLE_MS);
      }
    }
  }

  private fail(error: Error): void {
    this.checkedOut.fail(error);
    this.detach();
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    clearTimeout(this.idleTimer);
    this.onDetached(this);
    if (this.inFlight === 0) this.checkedOut.release();
  }
}

function compareKeys(a: unknown, b: unknown): number {
  const [left, right] = [String(a), String(b)];
  return left < right ? -1 : left > right ? 1 : 0;
}

/** At most so many writes in one group: under any load, a group's transaction stays short. */
const MAX_GROUP = 64;

/** A write waiting to be committed with others (GroupCommits). */
interface GroupedStatement {
  statement: PreparedStatement;
  parameters: unknown[];
  resolve(rows: unknown[] | Promise<unknown[]>): void;
  reject(error: unknown): void;
}

/** How the statements of a group answered, and whether their COMMIT committed them. */
interface GroupOutcome {
  answers: PromiseSettledResult<QueryResult>[];
  committed: boolean;
  /** The session failed (not a statement): it took everything in flight with it. */
  sessionFailure: unknown;
}

/**
 * Group commit of the pool's writes marked `committedInGroups` (the log's appends). One write or
 * group is in flight at a time per pool; the writes that come meanwhile are sent together as the
 * next group, between one BEGIN and one COMMIT. Under load, many appends then cost one commit (one
 * WAL flush, one NOTIFY) and one round trip; a write that finds nothing in flight leaves at the end
 * of its turn, alone, as any statement. Each caller is answered once its group's COMMIT is. Two
 * writes with the same first parameter (an append's stream) are never in one group, so two
 * writers racing for a stream's next version do not take a group down together.
 *
 * When PostgreSQL refused a statement of a group, the transaction rolled back whole: the one it
 * refused first runs again alone (and answers what it answers alone: a conflict, a constraint), and
 * the others go with the next group, as if this one had never been. A failed session fails every
 * write in flight on it, as it does a statement alone.
 */
class GroupCommits {
  private readonly gathering: GroupedStatement[] = [];
  /** A group (or a write alone) is being committed, or will be sent at the end of this turn. */
  private busy = false;

  constructor(private readonly connections: PipelinedConnections) {}

  run<Row>(statement: PreparedStatement, parameters: unknown[]): Promise<Row[]> {
    return new Promise<unknown[]>((resolve, reject) => {
      this.gathering.push({ statement, parameters, resolve, reject });
      if (!this.busy) void this.next();
    }) as Promise<Row[]>;
  }

  /** Sends the next group at the end of the turn, on the least busy connection. */
  private async next(): Promise<void> {
    this.busy = true;
    let connection: PipelinedConnection;
    try {
      connection = await this.connections.leastBusyConnection();
    } catch (error) {
      // no connection: every waiting write fails as a statement alone would
      for (const write of this.gathering.splice(0)) write.reject(error);
      this.busy = false;
      return;
    }
    connection.atEndOfTurn(() => void this.send(connection));
  }

  private async send(connection: PipelinedConnection): Promise<void> {
    const group = this.takeGroup();
    if (group.length === 1) {
      const [write] = group;
      const running = connection.run(write!.statement, write!.parameters);
      write!.resolve(running ?? this.connections.run(write!.statement, write!.parameters, true));
      await running?.catch(() => undefined);
    } else if (group.length > 1) {
      const outcome = connection.commitTogether(group);
      if (outcome) this.settle(group, await outcome);
      else this.gathering.unshift(...group);
    }
    if (this.gathering.length > 0) void this.next();
    else this.busy = false;
  }

  /** The gathered writes in order, at most MAX_GROUP, one per first parameter; the rest wait for the next group. */
  private takeGroup(): GroupedStatement[] {
    const keys = new Set<unknown>();
    const group: GroupedStatement[] = [];
    const later: GroupedStatement[] = [];
    for (const write of this.gathering) {
      if (group.length < MAX_GROUP && !keys.has(write.parameters[0])) {
        keys.add(write.parameters[0]);
        group.push(write);
      } else later.push(write);
    }
    this.gathering.splice(0, this.gathering.length, ...later);
    // in the order of their first parameters: two transactions that lock rows of several streams
    // in the same order (another process's group, the delivery jobs' wake) cannot deadlock with it
    return group.sort((a, b) => compareKeys(a.parameters[0], b.parameters[0]));
  }

  private settle(group: GroupedStatement[], { answers, committed, sessionFailure }: GroupOutcome): void {
    // the statement PostgreSQL refused first; those after it were refused for being in an aborted transaction
    const refused = answers.findIndex(
      (answer) => answer.status === 'rejected' && databaseErrorOf(answer.reason)?.code !== IN_FAILED_TRANSACTION,
    );
    const again: GroupedStatement[] = [];
    group.forEach((write, index) => {
      const answer = answers[index]!;
      if (sessionFailure !== undefined) {
        // as for a statement alone: a failed session fails what was in flight on it
        write.reject(answer.status === 'rejected' ? answer.reason : sessionFailure);
      } else if (committed && answer.status === 'fulfilled') {
        write.resolve(answer.value.rows);
      } else if (refused >= 0 && index !== refused) {
        again.push(write);
      } else {
        // the statement refused, or a refusal of the COMMIT itself: answered as alone
        write.resolve(this.connections.run(write.statement, write.parameters, true));
      }
    });
    this.gathering.unshift(...again);
  }
}

/** The pipelined connections of one pool: a statement goes to the least busy (see PipelinedConnection). */
class PipelinedConnections {
  /** Each slot's connection, while checked out (or being checked out). */
  private readonly slots: (Promise<PipelinedConnection> | undefined)[] = new Array(PIPELINED_CONNECTIONS);
  private readonly current: (PipelinedConnection | undefined)[] = new Array(PIPELINED_CONNECTIONS);
  /** Statements waiting for each slot's connection to be checked out. */
  private readonly waiting = new Array<number>(PIPELINED_CONNECTIONS).fill(0);
  private readonly groupCommits = new GroupCommits(this);

  constructor(private readonly pool: Pool) {}

  /** `alone`: never committed in a group, even when the statement may be (see GroupCommits). */
  async run<Row>(statement: PreparedStatement, parameters: unknown[], alone = false): Promise<Row[]> {
    if (statement.committedInGroups && !alone) return this.groupCommits.run<Row>(statement, parameters);
    for (;;) {
      const connection = await this.leastBusyConnection();
      // null: it stopped taking statements while this one waited for it; take out another
      const running = connection.run<Row>(statement, parameters);
      if (running) return running;
    }
  }

  /** The connection with the fewest statements in flight or waiting for it, checked out if need be. */
  async leastBusyConnection(): Promise<PipelinedConnection> {
    const index = this.leastBusy();
    this.waiting[index]! += 1;
    try {
      return await (this.slots[index] ??= this.checkOut(index));
    } finally {
      this.waiting[index]! -= 1;
    }
  }

  private leastBusy(): number {
    let best = 0;
    let bestLoad = Infinity;
    for (let index = 0; index < PIPELINED_CONNECTIONS; index++) {
      const load = this.waiting[index]! + (this.current[index]?.load ?? 0);
      if (load < bestLoad) [best, bestLoad] = [index, load];
    }
    return best;
  }

  private checkOut(index: number): Promise<PipelinedConnection> {
    return this.pool.connect().then(
      (client) => {
        const connection = new PipelinedConnection(client, (detached) => {
          if (this.current[index] === detached) {
            this.current[index] = undefined;
            this.slots[index] = undefined;
          }
        });
        this.current[index] = connection;
        return connection;
      },
      (error: unknown) => {
        // the next statement tries a new connection
        this.slots[index] = undefined;
        throw error;
      },
    );
  }
}

const pipelinedConnections = new WeakMap<Pool, PipelinedConnections>();

function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

function pipelinedConnectionsOf(dataSource: DataSource): PipelinedConnections {
  const pool = poolOf(dataSource);
  let connections = pipelinedConnections.get(pool);
  if (!connections) {
    connections = new PipelinedConnections(pool);
    pipelinedConnections.set(pool, connections);
  }
  return connections;
}

/** Statements inside a transaction that transactionOnPool opened. */
export interface TransactionSql {
  run: RunSql;
  /** Runs `work` in a savepoint: a failure rolls back what `work` did, and the transaction goes on. */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * SQLSTATEs of a transaction PostgreSQL ended so that another could go on: the victim of a
 * deadlock (40P01), a serialization failure (40001). Run again, it finds the other committed.
 */
const ENDED_FOR_ANOTHER = new Set(['40P01', '40001']);
const TRANSACTION_ATTEMPTS = 3;

/**
 * Runs `work` in one transaction on a connection of the pool: committed when it resolves, rolled
 * back when it throws. Pipelined (pipeline mode, see PipelinedConnection): BEGIN leaves with the
 * transaction's first statement instead of on a round trip of its own, and statements sent in the
 * same turn leave together. A failure of BEGIN fails the statements behind it, which report it.
 *
 * When PostgreSQL ends the transaction as a deadlock's victim (say, one that locks two streams
 * racing a group of appends), `work` runs again in a new transaction, up to three times in all:
 * so `work` must do nothing outside the transaction it is given.
 */
export async function transactionOnPool<T>(
  dataSource: DataSource,
  work: (sql: TransactionSql) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transactionOnce(dataSource, work);
    } catch (error) {
      const code = databaseErrorOf(error)?.code;
      if (attempt >= TRANSACTION_ATTEMPTS || code === undefined || !ENDED_FOR_ANOTHER.has(code)) throw error;
    }
  }
}

async function transactionOnce<T>(dataSource: DataSource, work: (sql: TransactionSql) => Promise<T>): Promise<T> {
  const checkedOut = new CheckedOutClient(await poolOf(dataSource).connect());
  const { client } = checkedOut;
  const send = (text: string) => {
    corkForThisTurn(client);
    return client.query(text);
  };
  const run: RunSql = async <Row>(statement: Statement, parameters: unknown[]) => {
    corkForThisTurn(client);
    if (typeof statement === 'string') return (await client.query<QueryResultRow>(statement, parameters)).rows as Row[];
    return onClient<Row>(client, statement, parameters);
  };
  const savepoint = async <S>(inSavepoint: () => Promise<S>): Promise<S> => {
    const saved = send('SAVEPOINT retry');
    saved.catch(() => undefined);
    try {
      const result = await inSavepoint();
      await saved;
      await send('RELEASE SAVEPOINT retry');
      return result;
    } catch (error) {
      await send('ROLLBACK TO SAVEPOINT retry');
      throw error;
    }
  };
  const begun = send('BEGIN');
  begun.catch(() => undefined);
  try {
    const result = await work({ run, savepoint });
    await begun;
    // a transaction a failed statement aborted answers COMMIT with ROLLBACK, not with an error
    const committed = await send('COMMIT');
    if (committed.command !== 'COMMIT') throw new Error('the transaction was rolled back: a statement in it failed');
    return result;
  } catch (error) {
    // a session that cannot even roll back is closed by the pool
    await send('ROLLBACK').catch((rollbackFailure: Error) => checkedOut.fail(rollbackFailure));
    throw error;
  } finally {
    checkedOut.release();
  }
}

/** Statements on the connection of a query runner (inside its transaction, if one is open). */
export function queryRunnerSql(runner: QueryRunner): RunSql {
  return async <Row>(statement: Statement, parameters: unknown[]) => {
    if (typeof statement === 'string') return (await runner.query(statement, parameters, true)).records as Row[];
    const client = (await runner.connect()) as PoolClient;
    return onClient<Row>(client, statement, parameters);
  };
}

/** The PostgreSQL error behind a failed statement, whichever way it ran (TypeORM wraps it). */
export function databaseErrorOf(error: unknown): { code?: string; constraint?: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const wrapped = (error as { driverError?: unknown }).driverError;
  return (typeof wrapped === 'object' && wrapped !== null ? wrapped : error) as { code?: string; constraint?: string };
}
