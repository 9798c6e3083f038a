import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole PostgreSQL schema in one place: the event log (source of truth) and the small
 * operational tables and read models the services keep beside it.
 */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version > 0),
        event_id uuid NOT NULL UNIQUE,
        event_type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        -- the writing transaction: log readers order by it, because identity values are not
        -- handed out in commit order
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        previous_hash text NOT NULL,
        hash text NOT NULL,
        CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
      )`);
    await queryRunner.query(`CREATE INDEX events_log_order ON events (transaction_id, global_position)`);
    // Append-only: history is never rewritten, whoever holds the connection.
    await queryRunner.query(`
      CREATE FUNCTION events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are append-only';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change()`);
    // Wakes log tailers (relay, embedded transport) at commit instead of waiting for their next poll.
    await queryRunner.query(`
      CREATE FUNCTION events_notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('backchannel_events_appended', '');
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER events_appended AFTER INSERT ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_notify_appended()`);

    await queryRunner.query(`
      CREATE TABLE subscription_checkpoints (
        subscription text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE processed_messages (
        consumer text NOT NULL,
        message_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE clients (
        client_id text PRIMARY KEY,
        secret_sha256 text NOT NULL,
        metadata jsonb NOT NULL,
        registered_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE users (
        subject text PRIMARY KEY,
        username text UNIQUE,
        email text UNIQUE,            -- stored lower-cased
        phone_number text UNIQUE,
        name text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE devices (
        device_id text PRIMARY KEY,
        subject text NOT NULL REFERENCES users (subject),
        name text NOT NULL,
        token_sha256 text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE pending_requests (
        request_id text PRIMARY KEY,
        stream_id text NOT NULL UNIQUE,
        subject text NOT NULL,
        client_id text NOT NULL,
        client_name text NOT NULL,
        scope text[] NOT NULL,
        binding_message text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied'))
      )`);
    await queryRunner.query(
      `CREATE INDEX pending_requests_by_subject ON pending_requests (subject, created_at DESC) WHERE status = 'pending'`,
    );
    // Poll throttling is operational state, not history: one row per request stream, updated atomically.
    await queryRunner.query(`
      CREATE TABLE poll_throttle (
        stream_id text PRIMARY KEY,
        last_poll_at timestamptz NOT NULL,
        interval_seconds integer NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        public_jwk jsonb NOT NULL,
        private_jwk_encrypted text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'signing_keys',
      'poll_throttle',
      'pending_requests',
      'devices',
      'users',
      'clients',
      'processed_messages',
      'subscription_checkpoints',
      'events',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION IF EXISTS events_reject_change, events_notify_appended`);
  }
}
