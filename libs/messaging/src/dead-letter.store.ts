import { type RunSql, poolSql, prepared } from '@backchannel/event-store';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeadLetters, type DeadLetter, describeError } from './dead-letters.js';
import { sharedCounter } from '@backchannel/observability';

const deadLettersRecorded = sharedCounter({
  name: 'backchannel_dead_letters_recorded_total',
  help: 'Messages set aside as dead letters by this process, by consumer group and failure kind.',
  labelNames: ['consumer_group', 'kind'] as const,
});

/** A dead letter as stored, for operators (`ops dead-letters`) and for redelivery. */
export interface StoredDeadLetter {
  id: string;
  consumerGroup: string;
  topic: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  kind: 'poison' | 'unexpected';
  errorName: string;
  errorMessage: string;
  failedAt: Date;
  partition: number | null;
  offset: string | null;
  retryRequestedAt: Date | null;
}

/** Which dead letters an operator means: given ids, or all of a consumer group, or all. */
export type DeadLetterSelection = { ids: string[] } | { consumerGroup: string } | { all: true };

const COLUMNS = `id::text, consumer_group, topic, message_key, message_value, headers, failure_kind, error_name,
  error_message, failed_at, source_partition, source_offset, retry_requested_at`;

/**
 * The dead_letters table, the one place dead letters of both modes go (a topic could not be
 * retried or discarded one message at a time). A retry is only requested here: the service that
 * runs the letter's consumer group claims it (DeadLetterRedelivery) and hands it to its handler.
 */
@Injectable()
export class DeadLetterStore extends DeadLetters {
  // through pg itself: TypeORM's query answers an UPDATE or DELETE with [rows, count], not its rows
  private readonly sql: RunSql;

  constructor(dataSource: DataSource) {
    super();
    this.sql = poolSql(dataSource);
  }

  async record(letter: DeadLetter): Promise<void> {
    const { name, message } = describeError(letter.error);
    const headers = Object.fromEntries(
      Object.entries(letter.headers).map(([header, value]) => [header, String(value)]),
    );
    await this.sql(
      prepared(`INSERT INTO dead_letters (consumer_group, topic, message_key, message_value, headers, failure_kind, error_name,
         error_message, source_partition, source_offset)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`),
      [
        letter.consumerGroup,
        letter.topic,
        letter.key,
        letter.value?.toString() ?? null,
        JSON.stringify(headers),
        letter.kind,
        name,
        message,
        letter.partition ?? null,
        letter.offset ?? null,
      ],
    );
    deadLettersRecorded.inc({ consumer_group: letter.consumerGroup, kind: letter.kind });
  }

  /** The oldest first, at most `limit`. */
  async list(filter: { consumerGroup?: string; limit: number }): Promise<StoredDeadLetter[]> {
    const rows: Row[] = await this.sql(
      prepared(
        `SELECT ${COLUMNS} FROM dead_letters WHERE $1::text IS NULL OR consumer_group = $1 ORDER BY id LIMIT $2`,
      ),
      [filter.consumerGroup ?? null, filter.limit],
    );
    return rows.map(toStored);
  }

  async count(): Promise<{ consumerGroup: string; count: number }[]> {
    const rows: { consumer_group: string; count: number }[] = await this.sql(
      prepared(
        `SELECT consumer_group, count(*)::int AS count FROM dead_letters GROUP BY consumer_group ORDER BY consumer_group`,
      ),
      [],
    );
    return rows.map((row) => ({ consumerGroup: row.consumer_group, count: row.count }));
  }

  /** Asks the services to hand the selected letters to their handlers again; returns their ids. */
  async requestRetry(selection: DeadLetterSelection): Promise<string[]> {
    const rows: { id: string }[] = await this.sql(
      prepared(`UPDATE dead_letters SET retry_requested_at = now() WHERE ${where(selection)} RETURNING id::text`),
      parameters(selection),
    );
    return rows.map((row) => row.id).sort(byNumber);
  }

  /** Deletes the selected letters for good; returns their ids. */
  async discard(selection: DeadLetterSelection): Promise<string[]> {
    const rows: { id: string }[] = await this.sql(
      prepared(`DELETE FROM dead_letters WHERE ${where(selection)} RETURNING id::text`),
      parameters(selection),
    );
    return rows.map((row) => row.id).sort(byNumber);
  }

  /**
   * Takes up to `limit` letters of these groups whose retry was requested, clearing the request,
   * so that no other replica takes them too. A process that stops before it settles or releases
   * them leaves them as dead letters (never lost): the operator can ask again.
   */
  async claimRetries(consumerGroups: readonly string[], limit: number): Promise<StoredDeadLetter[]> {
    const rows: Row[] = await this.sql(
      prepared(`UPDATE dead_letters SET retry_requested_at = NULL
       WHERE id IN (SELECT id FROM dead_letters WHERE consumer_group = ANY($1) AND retry_requested_at IS NOT NULL
                    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`),
      [consumerGroups, limit],
    );
    return rows.map(toStored).sort((a, b) => byNumber(a.id, b.id));
  }

  /** The retried letter was handled (or dead-lettered anew, as a new letter): this one goes. */
  async settle(id: string): Promise<void> {
    await this.sql(prepared(`DELETE FROM dead_letters WHERE id = $1`), [id]);
  }

  /** The retry could not be done now (an outage): asked for again, for a later round. */
  async release(id: string): Promise<void> {
    await this.sql(prepared(`UPDATE dead_letters SET retry_requested_at = now() WHERE id = $1`), [id]);
  }

  /** The letter still does not decode: the new failure replaces the old one's description. */
  async failedAgain(id: string, error: unknown): Promise<void> {
    const { name, message } = describeError(error);
    await this.sql(
      prepared(`UPDATE dead_letters SET error_name = $2, error_message = $3, failed_at = now() WHERE id = $1`),
      [id, name, message],
    );
  }
}

interface Row {
  id: string;
  consumer_group: string;
  topic: string;
  message_key: string | null;
  message_value: string | null;
  headers: Record<string, string>;
  failure_kind: 'poison' | 'unexpected';
  error_name: string;
  error_message: string;
  failed_at: Date;
  source_partition: number | null;
  source_offset: string | null;
  retry_requested_at: Date | null;
}

function toStored(row: Row): StoredDeadLetter {
  return {
    id: row.id,
    consumerGroup: row.consumer_group,
    topic: row.topic,
    key: row.message_key,
    value: row.message_value,
    headers: row.headers,
    kind: row.failure_kind,
    errorName: row.error_name,
    errorMessage: row.error_message,
    failedAt: row.failed_at,
    partition: row.source_partition,
    offset: row.source_offset,
    retryRequestedAt: row.retry_requested_at,
  };
}

function where(selection: DeadLetterSelection): string {
  if ('ids' in selection) return `id = ANY($1::bigint[])`;
  if ('consumerGroup' in selection) return `consumer_group = $1`;
  return 'true';
}

function parameters(selection: DeadLetterSelection): unknown[] {
  if ('ids' in selection) return [selection.ids];
  if ('consumerGroup' in selection) return [selection.consumerGroup];
  return [];
}

const byNumber = (a: string, b: string) => Number(a) - Number(b);
