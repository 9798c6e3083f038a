import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EventStoreModule, PostgresEventStore } from '@backchannel/event-store';
import type { ConsentDenied, ConsentGiven } from '@backchannel/events';
import { recordRequest } from '@backchannel/testing';
import { UserRequests, UserRequestsModule } from '@backchannel/user-requests';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { type ScratchDatabase, createScratchDatabase } from './scratch-database.fixture.js';

const run = promisify(execFile);
const OPS = path.resolve('dist/apps/ops/src/main.js');
const ROW = `request_id, stream_id, subject, client_id, client_name, scope, binding_message, acr_values,
  created_at, expires_at, answered_at, authorization_details, requested_claims, wording, denial`;

/**
 * `ops rebuild user-requests` in a database of its own (a rebuild of the shared test database
 * would give rows to requests other tests recorded without one), migrated like a service's.
 */
describe('ops rebuild', () => {
  let scratch: ScratchDatabase;
  let app: TestingModule;
  let dataSource: DataSource;

  beforeAll(async () => {
    scratch = await createScratchDatabase('ops_rebuild');
    const { url: databaseUrl, migrations } = scratch;
    app = await Test.createTestingModule({
      imports: [EventStoreModule.forRoot({ databaseUrl, migrations, poolSize: 8 }), UserRequestsModule],
    }).compile();
    dataSource = app.get(DataSource);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
  });

  /** A request recorded as /bc-authorize records it, answered as AnswerRecorder answers (one in two). */
  async function requestAndMaybeAnswer(index: number): Promise<void> {
    // one in three asks for authorization details and claims, with words: jsonb columns rebuilt too
    const asked =
      index % 3 === 0
        ? {
            authorizationDetails: [{ type: 'payment_initiation', instructedAmount: { amount: `${index}.00` } }],
            requestedClaims: { userinfo: ['birthdate'], id_token: [] },
            wording: { scopes: {}, authorizationDetailTypes: { payment_initiation: 'Pay "someone"' } },
          }
        : {};
    const requested = await recordRequest(app, `rebuild-user-${index % 7}`, asked);
    if (index % 2 === 1) return;
    const at = new Date();
    const metadata = { correlationId: 'ops-rebuild', actor: 'device:dev-rebuild', occurredAt: at.toISOString() };
    const { requestId, subject } = requested.data;
    // one answer in two is a denial, whose reason the row keeps (the backoff after a denial reads it)
    const denial = index % 4 === 2 ? 'not_recognized' : null;
    await app.get(PostgresEventStore).transaction(async (tx) => {
      await tx.appendToStream<ConsentGiven | ConsentDenied>(requested.streamId, 1, [
        denial === null
          ? {
              type: 'ConsentGiven',
              schemaVersion: 2,
              data: {
                requestId,
                subject,
                deviceId: 'dev-rebuild',
                grantedScope: ['openid'],
                authenticatedAt: at.toISOString(),
                evidence: null,
              },
              metadata,
            }
          : {
              type: 'ConsentDenied',
              schemaVersion: 2,
              data: { requestId, subject, deviceId: 'dev-rebuild', reason: denial },
              metadata,
            },
      ]);
      await app.get(UserRequests).markAnswered(tx, requested.streamId, at, denial);
    });
  }

  const rows = (): Promise<unknown[]> => dataSource.query(`SELECT ${ROW} FROM user_requests ORDER BY request_id`);

  async function rebuild(): Promise<{ scanned: number; applied: number; rows: number; eventsPerSecond: number }> {
    const { stdout } = await run(process.execPath, [OPS, 'rebuild', 'user-requests', '--json'], {
      env: { ...process.env, DATABASE_URL: scratch.url },
    });
    return JSON.parse(stdout);
  }

  it('rebuilds exactly the live table, indexes and constraints under their names', async () => {
    for (let index = 0; index < 39; index++) await requestAndMaybeAnswer(index);
    // values that would be syntax in an array's text form, and a request with no binding message
    await recordRequest(app, 'rebuild-user-odd', {
      acrValues: ['urn:acr:"quoted"', 'back\\slash,{}'],
      bindingMessage: null,
    });
    const live = await rows();
    const shape = () =>
      dataSource.query(
        `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'user_requests'
         UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'user_requests'::regclass
         ORDER BY 1`,
      );
    const liveShape = await shape();

    const report = await rebuild();

    expect(report).toMatchObject({ applied: 60, rows: 40 });
    expect(report.eventsPerSecond).toBeGreaterThan(0);
    expect(await rows()).toEqual(live);
    expect(await shape()).toEqual(liveShape);
  }, 120_000);

  it('keeps what the services write while it runs: their writes wait for the swap and land in the new table', async () => {
    let writing = true;
    let index = 1_000;
    const writtenAt: number[] = [];
    const writers = Array.from({ length: 4 }, async () => {
      while (writing) {
        await requestAndMaybeAnswer(index++);
        writtenAt.push(Date.now());
      }
    });
    await new Promise((settle) => setTimeout(settle, 200)); // the writers are under way
    const started = Date.now();
    const report = await rebuild();
    const ended = Date.now();
    writing = false;
    await Promise.all(writers);

    // the race happened: requests were recorded and answered while the rebuild ran
    expect(writtenAt.filter((at) => at > started && at < ended).length).toBeGreaterThan(0);
    expect(report.rows).toBeGreaterThan(40);
    // every request recorded, before, during or after, has its row, answered exactly when it was
    const [{ expected }] = await dataSource.query(
      `SELECT count(*)::int AS expected FROM events WHERE event_type = 'AuthRequested'`,
    );
    const [{ answered }] = await dataSource.query(
      `SELECT count(*)::int AS answered FROM events e JOIN user_requests r ON r.stream_id = e.stream_id
        WHERE e.event_type IN ('ConsentGiven', 'ConsentDenied') AND r.answered_at = (e.metadata->>'occurredAt')::timestamptz
          AND r.denial IS NOT DISTINCT FROM e.data->>'reason'`,
    );
    const [{ answers }] = await dataSource.query(
      `SELECT count(*)::int AS answers FROM events WHERE event_type IN ('ConsentGiven', 'ConsentDenied')`,
    );
    expect((await rows()).length).toBe(expected);
    expect(answered).toBe(answers);
    const [{ unanswered }] = await dataSource.query(
      `SELECT count(*)::int AS unanswered FROM user_requests r
        WHERE answered_at IS NOT NULL AND NOT EXISTS
          (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.event_type IN ('ConsentGiven', 'ConsentDenied'))`,
    );
    expect(unanswered).toBe(0);
  }, 120_000);
});
