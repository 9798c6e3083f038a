import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type AlongsideWrites,
  type EventStoreTransaction,
  alongsideStatement,
  poolSql,
  prepared,
} from '@backchannel/event-store';
import type {
  AuthRequested,
  AuthorizationDetail,
  ConsentWording,
  DenialReason,
  RecordedEvent,
  RequestedClaims,
} from '@backchannel/events';
import { type PromptHistory, type PromptLimits, blockedUntil, refusesPrompt } from './open-request-limits.js';

/** A request made to a user, as their devices see it: never the auth_req_id, which only the client holds. */
export interface UserRequest {
  /** What the device sees and answers with. */
  requestId: string;
  streamId: string;
  subject: string;
  clientId: string;
  clientName: string;
  scope: string[];
  bindingMessage: string | null;
  /** The acr_values the client asked for (known ones are the least an approval must achieve). */
  acrValues: string[];
  /** RFC 9396 authorization details, as recorded; null when none were asked. */
  authorizationDetails: AuthorizationDetail[] | null;
  /** The claims asked for with the claims parameter; null when it was not sent. */
  requestedClaims: RequestedClaims | null;
  /** The descriptions of its API scopes and detail types when it was made; null when none. */
  wording: ConsentWording | null;
  createdAt: Date;
  expiresAt: Date;
  /** When an answer was recorded (ConsentGiven or ConsentDenied), or null. */
  answeredAt: Date | null;
}

/**
 * The client may not prompt the user now: too many open requests, too many lately, too soon after
 * a denial, or blocked after "this wasn't me" (see refusesPrompt).
 */
export class TooManyOpenRequestsError extends Error {
  constructor() {
    super('too many open requests for this user');
    this.name = 'TooManyOpenRequestsError';
  }
}

interface UserRequestRow {
  request_id: string;
  stream_id: string;
  subject: string;
  client_id: string;
  client_name: string;
  scope: string[];
  binding_message: string | null;
  acr_values: string[];
  authorization_details: AuthorizationDetail[] | null;
  requested_claims: RequestedClaims | null;
  wording: ConsentWording | null;
  created_at: Date;
  expires_at: Date;
  answered_at: Date | null;
}

/** The request leaves the user's open requests; a "this wasn't me" also blocks its client. */
function answeredWrites(streamId: string, at: Date, denial: DenialReason | null): AlongsideWrites {
  return {
    statements: [
      {
        name: 'answered',
        sql: `UPDATE user_requests SET answered_at = $2, denial = $3
               WHERE stream_id = $1 AND answered_at IS NULL AND EXISTS (SELECT FROM appending)
               RETURNING subject, client_id, client_name`,
      },
      {
        name: 'blocked',
        sql: `INSERT INTO client_blocks (subject, client_id, client_name, blocked_at)
              SELECT subject, client_id, client_name, $2 FROM answered WHERE $3 = 'not_recognized'
              ON CONFLICT (subject, client_id)
              DO UPDATE SET blocked_at = EXCLUDED.blocked_at, client_name = EXCLUDED.client_name`,
      },
    ],
    parameters: [streamId, at, denial],
  };
}

/** The reasons a user gives (not an administrator's): each one holds the client back for a while. */
const USER_DENIALS: readonly DenialReason[] = ['user_denied', 'not_recognized', 'authentication_failed', 'cancelled'];

/** A client the user answered "this wasn't me" to, as their devices list it. */
export interface ClientBlock {
  clientId: string;
  clientName: string;
  blockedAt: Date;
  blockedUntil: Date;
}

function toUserRequest(row: UserRequestRow): UserRequest {
  return {
    requestId: row.request_id,
    streamId: row.stream_id,
    subject: row.subject,
    clientId: row.client_id,
    clientName: row.client_name,
    scope: row.scope,
    bindingMessage: row.binding_message,
    acrValues: row.acr_values,
    authorizationDetails: row.authorization_details,
    requestedClaims: row.requested_claims,
    wording: row.wording,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    answeredAt: row.answered_at,
  };
}

/**
 * The columns a new request's row is written with, in the order userRequestRow gives them, with
 * their PostgreSQL types (a rebuild writes a page of rows as arrays, cast back to these).
 */
export const USER_REQUEST_COLUMN_TYPES = {
  request_id: 'text',
  stream_id: 'text',
  subject: 'text',
  client_id: 'text',
  client_name: 'text',
  scope: 'text[]',
  binding_message: 'text',
  acr_values: 'text[]',
  created_at: 'timestamptz',
  expires_at: 'timestamptz',
  authorization_details: 'jsonb',
  requested_claims: 'jsonb',
  wording: 'jsonb',
} as const;

export const USER_REQUEST_COLUMNS = Object.keys(
  USER_REQUEST_COLUMN_TYPES,
) as (keyof typeof USER_REQUEST_COLUMN_TYPES)[];

/** The row of the request AuthRequested made to the user: the one mapping of the live write and of a rebuild. */
export function userRequestRow(requested: Pick<RecordedEvent<AuthRequested>, 'streamId' | 'data'>): unknown[] {
  const { requestId, subject, clientId, clientName, scope, bindingMessage, acrValues, requestedAt, expiresAt } =
    requested.data;
  const { authorizationDetails, requestedClaims, wording } = requested.data;
  return [
    requestId,
    requested.streamId,
    subject,
    clientId,
    clientName,
    scope,
    bindingMessage,
    acrValues,
    requestedAt,
    expiresAt,
    // jsonb parameters: pg would send a JS array as a PostgreSQL array, not JSON
    jsonOrNull(authorizationDetails),
    jsonOrNull(requestedClaims),
    jsonOrNull(wording),
  ];
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Whether a request is still open at `now`: nobody answered, and it has not expired. */
export function isOpen(request: UserRequest, now: Date): boolean {
  return request.answeredAt === null && now < request.expiresAt;
}

/**
 * The requests made to each user (user_requests), the one model of "open requests": the devices
 * list a user's open ones, and /bc-authorize counts them against the user's limits. It is written
 * in the transactions that record the facts it reflects, never by a consumer later: a row in the
 * one that appends AuthRequested (counted under a per-user lock, so concurrent requests never pass
 * a cap together), `answered_at` with the append of the user's answer (so the request leaves
 * the devices' lists and frees its place at once). Expiry needs no write: it is compared with `now`.
 */
@Injectable()
export class UserRequests {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Statements of every request, prepared once per connection. */
  private readonly sql = poolSql(this.dataSource);

  /**
   * Adds the request being recorded, in the transaction that records it, or throws
   * TooManyOpenRequestsError, which rolls the request back (its row included). `now` is the
   * request's time.
   */
  async add(
    tx: EventStoreTransaction,
    requested: Pick<RecordedEvent<AuthRequested>, 'streamId' | 'data'>,
    limits: PromptLimits,
  ): Promise<void> {
    const { subject, clientId, requestedAt } = requested.data;
    // Sent together (one round trip): PostgreSQL counts once the lock is held, and adds the row in
    // the same statement, whose count cannot see it (so the count is of the others); a refusal
    // throws, and the rollback takes the row back.
    const locked = lockUser(tx, subject);
    const counted = tx.query<PromptHistory>(COUNT_AND_ADD, [
      subject,
      clientId,
      requestedAt,
      limits.perClientAndUser.windowSeconds,
      USER_DENIALS,
      limits.backoffAfterDenialSeconds,
      ...userRequestRow(requested),
    ]);
    const [, [history]] = await Promise.all([locked, counted]);
    if (refusesPrompt(history!, limits, new Date(requestedAt))) throw new TooManyOpenRequestsError();
  }

  /**
   * The user answered: written in the statement that appends the answer (AlongsideWrites); `at`
   * is the answer's time (its event's occurredAt), `denial` the reason of a denial. "This wasn't
   * me" (not_recognized) also blocks the client from prompting the user; that one must be made
   * under the user's lock (markAnswered), so no request of the client passes after it.
   */
  answering(streamId: string, at: Date, denial: DenialReason | null): AlongsideWrites {
    if (denial === 'not_recognized') throw new Error('a "this wasn\'t me" answer is marked under the user\'s lock');
    return answeredWrites(streamId, at, denial);
  }

  /** The user answered, in the transaction that records the answer, under the user's lock for "this wasn't me" (see answering). */
  async markAnswered(
    tx: EventStoreTransaction,
    streamId: string,
    at: Date,
    denial: DenialReason | null = null,
  ): Promise<void> {
    if (denial === 'not_recognized') {
      const [request] = await tx.query<{ subject: string }>(`SELECT subject FROM user_requests WHERE stream_id = $1`, [
        streamId,
      ]);
      if (request) await lockUser(tx, request.subject);
    }
    const { statement, parameters } = alongsideStatement(answeredWrites(streamId, at, denial));
    await tx.query(statement, parameters);
  }

  /** The clients the user blocked with "this wasn't me" and that are still blocked at `now`, latest first. */
  async listBlocks(
    subject: string,
    limits: Pick<PromptLimits, 'notMeBlockSeconds'>,
    now: Date,
  ): Promise<ClientBlock[]> {
    const rows: { client_id: string; client_name: string; blocked_at: Date }[] = await this.dataSource.query(
      `SELECT client_id, client_name, blocked_at FROM client_blocks WHERE subject = $1 ORDER BY blocked_at DESC, client_id`,
      [subject],
    );
    return rows
      .map((row) => ({
        clientId: row.client_id,
        clientName: row.client_name,
        blockedAt: row.blocked_at,
        blockedUntil: blockedUntil(row.blocked_at, limits),
      }))
      .filter((block) => now < block.blockedUntil);
  }

  /** The user lets the client prompt them again; false when it was not blocked. */
  async liftBlock(subject: string, clientId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `WITH lifted AS (DELETE FROM client_blocks WHERE subject = $1 AND client_id = $2 RETURNING 1) SELECT 1 FROM lifted`,
      [subject, clientId],
    );
    return rows.length > 0;
  }

  /** The user's open requests, newest first. */
  async listOpen(subject: string, now: Date): Promise<UserRequest[]> {
    const rows: UserRequestRow[] = await this.dataSource.query(
      `SELECT * FROM user_requests
        WHERE subject = $1 AND answered_at IS NULL AND expires_at > $2
        ORDER BY created_at DESC, request_id`,
      [subject, now],
    );
    return rows.map(toUserRequest);
  }

  /** The request with this device-facing id, open or not. */
  async find(requestId: string): Promise<UserRequest | null> {
    const rows: UserRequestRow[] = await this.sql(
      prepared(`SELECT ${USER_REQUEST_COLUMNS.join(', ')}, answered_at FROM user_requests WHERE request_id = $1`),
      [requestId],
    );
    return rows[0] ? toUserRequest(rows[0]) : null;
  }
}

/**
 * The user's prompt history (PromptHistory: $1 subject, $2 client, $3 the request's time, $4 the
 * per-client window, $5 the user's denials, $6 the back-off after one) and the new request's row
 * added ($7 on, USER_REQUEST_COLUMNS): one statement, the count taken before the row exists.
 */
const COUNT_AND_ADD = prepared(`WITH added AS (
    INSERT INTO user_requests (${USER_REQUEST_COLUMNS.join(', ')})
    VALUES (${USER_REQUEST_COLUMNS.map((_, index) => `$${index + 7}`).join(', ')})
  )
  SELECT count(*) FILTER (WHERE answered_at IS NULL AND expires_at > $3)::int AS "forUser",
         (count(*) FILTER (WHERE answered_at IS NULL AND expires_at > $3 AND client_id = $2))::int AS "forClient",
         (count(*) FILTER (WHERE client_id = $2 AND created_at > $3::timestamptz - make_interval(secs => $4)))::int
           AS "recentForClient",
         max(answered_at) FILTER (WHERE client_id = $2 AND denial = ANY($5)) AS "lastDeniedAt",
         (SELECT blocked_at FROM client_blocks WHERE subject = $1 AND client_id = $2) AS "blockedAt"
    FROM user_requests
   WHERE subject = $1
     AND ((answered_at IS NULL AND expires_at > $3)
          OR (client_id = $2 AND (created_at > $3::timestamptz - make_interval(secs => $4)
                                  OR answered_at > $3::timestamptz - make_interval(secs => $6))))`);

/** One user's requests are counted and blocked one transaction at a time, in every replica. */
async function lockUser(tx: EventStoreTransaction, subject: string): Promise<void> {
  await tx.query(prepared(`SELECT pg_advisory_xact_lock(hashtextextended('user-requests:' || $1, 0))`), [subject]);
}
