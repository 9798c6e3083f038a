import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log, the source of truth. Written with IF NOT EXISTS (and OR REPLACE) because it was
 * split out of one migration that created every table: a database created before the split runs
 * it again and finds everything in place.
 */
export class CreateEventLog1763700000000 implements MigrationInterface {
  name = 'CreateEventLog1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS events (
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
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS events_log_order ON events (transaction_id, global_position)`);
    // Append-only: history is never rewritten, whoever holds the connection.
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are append-only';
      END $$`);
    await queryRunner.query(`
      CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change()`);
    // Wakes log tailers (relay, embedded transport) at commit instead of waiting for their next poll.
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION events_notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('backchannel_events_appended', '');
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE OR REPLACE TRIGGER events_appended AFTER INSERT ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_notify_appended()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS events`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS events_reject_change, events_notify_appended`);
  }
}
