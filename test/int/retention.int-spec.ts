import { randomUUID } from 'node:crypto';
import { CryptoModule } from '@backchannel/crypto';
import { MessagingModule } from '@backchannel/messaging';
import { EventStoreModule, poolSql, pruneExpiredRows } from '@backchannel/event-store';
import { retentionRulesOf } from '@backchannel/http';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { EMBEDDED_FEATURES } from '../../apps/embedded/src/embedded-app.js';

const DAY = 86_400_000;

/** Retention of the operational tables, on the real PostgreSQL: what goes, what stays. */
describe('retention', () => {
  let app: TestingModule;
  let dataSource: DataSource;
  // what serviceRootModule gathers: the features, and the infrastructure every service has
  const rules = retentionRulesOf([...EMBEDDED_FEATURES, CryptoModule, MessagingModule.forEmbedded({ streamLanes: 1 })]);
  const ages = { operationalDays: 7, deadLetterDays: 30 };
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY);

  beforeAll(async () => {
    app = await Test.createTestingModule({
      imports: [
        EventStoreModule.forRoot({ databaseUrl: process.env.DATABASE_URL!, runMigrations: false, poolSize: 2 }),
      ],
    }).compile();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('has a rule for every operational table a service owns (events and read models of record excepted)', () => {
    expect(rules.map((rule) => rule.table).sort()).toEqual([
      'authentication_failures',
      'channel_callback_tokens',
      'client_blocks',
      'dead_letters',
      'decision_nonces',
      'delivery_jobs',
      'enrolment_codes',
      'initial_access_tokens',
      'invalid_grant_throttle',
      'issued_responses',
      'poll_throttle',
      'processed_messages',
      'push_issuances',
      'refresh_token_families',
      'refresh_tokens',
      'revoked_access_tokens',
      'shreddable_keys',
      'spent_client_jwts',
      'spent_dpop_proofs',
      'user_requests',
    ]);
  });

  it('prunes rows whose work ended before the age, keeps the rest, dead letters for longer', async () => {
    const tag = randomUUID();
    const throttle = (stream: string, expiresAt: Date) =>
      dataSource.query(
        `INSERT INTO poll_throttle (stream_id, last_poll_at, interval_seconds, expires_at) VALUES ($1, $2, 5, $2)`,
        [`${tag}-${stream}`, expiresAt],
      );
    await throttle('old', ago(8));
    await throttle('recent', ago(6));
    const letter = (name: string, failedAt: Date) =>
      dataSource.query(
        `INSERT INTO dead_letters (topic, consumer_group, failure_kind, error_name, error_message, headers, failed_at)
         VALUES ($1, 'retention-int-spec', 'poison', 'Error', 'boom', '{}', $2)`,
        [`${tag}-${name}`, failedAt],
      );
    await letter('ten-days', ago(10));
    await letter('forty-days', ago(40));
    // more than one batch of old rows
    await dataSource.query(
      `INSERT INTO push_issuances (stream_id, expires_at) SELECT $1 || '-' || n, $2 FROM generate_series(1, 6000) AS n`,
      [tag, ago(9)],
    );

    const pruned = await pruneExpiredRows(poolSql(dataSource), rules, ages, now);
    expect(pruned.push_issuances).toBeGreaterThanOrEqual(6000);

    const left = async (table: string, column: string) =>
      (
        await dataSource.query(`SELECT ${column} AS name FROM ${table} WHERE ${column} LIKE $1 ORDER BY 1`, [`${tag}%`])
      ).map((row: { name: string }) => row.name.slice(tag.length + 1));
    expect(await left('poll_throttle', 'stream_id')).toEqual(['recent']);
    expect(await left('dead_letters', 'topic')).toEqual(['ten-days']);
    expect(await left('push_issuances', 'stream_id')).toEqual([]);
  });
});
