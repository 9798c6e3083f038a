import { countClientsListing } from '@backchannel/clients';
import {
  type EventStoreTransaction,
  PostgresEventStore,
  poolSql,
  prepared,
  type RunSql,
} from '@backchannel/event-store';
import {
  apiScopeStreamId,
  authorizationDetailTypeStreamId,
  type ConsentVocabularyEvent,
  type NewEvent,
} from '@backchannel/events';
import { RESERVED_SCOPES } from '@backchannel/oauth';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  assertDefinableName,
  parseDescription,
  type VocabularyKind,
  type VocabularyTerm,
  VocabularyTermInUseError,
} from './vocabulary-term.js';

/** Who changes the vocabulary, when, in which request: the metadata of the event that records it. */
export interface VocabularyChangeContext {
  actor: string;
  correlationId: string;
  now: Date;
}

/** What a definition did: 'unchanged' when the term already had these words (nothing is recorded). */
export type DefinitionOutcome = 'created' | 'replaced' | 'unchanged';

/** The words of the terms of one request that have some; a term without words is absent (shown as itself). */
export interface ConsentDescriptions {
  scopes: Record<string, string>;
  authorizationDetailTypes: Record<string, string>;
}

/** Each kind's stream and events. */
const RECORDS = {
  scope: { streamId: apiScopeStreamId, defined: 'ApiScopeDefined', removed: 'ApiScopeRemoved' },
  authorization_detail_type: {
    streamId: authorizationDetailTypeStreamId,
    defined: 'AuthorizationDetailTypeDefined',
    removed: 'AuthorizationDetailTypeRemoved',
  },
} as const satisfies Record<VocabularyKind, { streamId: (name: string) => string; defined: string; removed: string }>;

interface TermRow {
  kind: VocabularyKind;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

const TERM_COLUMNS = `kind, name, description, created_at, updated_at`;

/**
 * One statement for both kinds, served by the primary key. Not cached: the table is small and
 * this lookup costs less than the rest of /bc-authorize's transaction, while a cache would need
 * each replica to LISTEN for changes as the client registry does; a request that asks only
 * for reserved scopes, the common case, makes no query at all.
 */
const DESCRIBE = prepared(`
  SELECT kind, name, description FROM consent_vocabulary
  WHERE (kind = 'scope' AND name = ANY($1::text[]))
     OR (kind = 'authorization_detail_type' AND name = ANY($2::text[]))`);

/**
 * The consent vocabulary: the plain words of API scopes and authorization detail types, for
 * /bc-authorize to record with a request (describe), so the authenticator shows what was asked. The
 * `consent_vocabulary` table is the state; each change is an event of the term's stream, with its
 * actor, written in the same transaction.
 */
@Injectable()
export class ConsentVocabulary {
  private readonly sql: RunSql;

  constructor(
    private readonly store: PostgresEventStore,
    dataSource: DataSource,
  ) {
    this.sql = poolSql(dataSource);
  }

  /** Gives the term the description of `input` (`{ description }`), replacing the one it had. */
  async define(
    kind: VocabularyKind,
    name: string,
    input: unknown,
    context: VocabularyChangeContext,
  ): Promise<DefinitionOutcome> {
    assertDefinableName(kind, name);
    const description = parseDescription(input);
    const event = {
      type: RECORDS[kind].defined,
      schemaVersion: 1,
      data: { name, description, definedAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    } satisfies NewEvent<ConsentVocabularyEvent>;
    return this.store.transaction(async (tx) => {
      // xmax is 0 in a row this statement inserted; an update that would change nothing returns no row
      const [row] = await tx.query<{ created: boolean }>(
        `WITH defined AS (
           INSERT INTO consent_vocabulary (${TERM_COLUMNS}) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (kind, name) DO UPDATE SET description = EXCLUDED.description, updated_at = EXCLUDED.updated_at
             WHERE consent_vocabulary.description <> EXCLUDED.description
           RETURNING xmax = 0 AS created)
         SELECT created FROM defined`,
        [kind, name, description, context.now],
      );
      if (row === undefined) return 'unchanged';
      await tx.appendToStream(RECORDS[kind].streamId(name), 'any', [event]);
      return row.created ? 'created' : 'replaced';
    });
  }

  /**
   * Removes the term's description; false when it had none. Throws VocabularyTermInUseError while
   * a registered client lists the term: its requests would lose their words.
   */
  async remove(kind: VocabularyKind, name: string, context: VocabularyChangeContext): Promise<boolean> {
    const event = {
      type: RECORDS[kind].removed,
      schemaVersion: 1,
      data: { name, removedAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    } satisfies NewEvent<ConsentVocabularyEvent>;
    return this.store.transaction(async (tx) => {
      const clients = await clientsListing(tx, kind, name);
      if (clients > 0) throw new VocabularyTermInUseError(clients);
      const removed = await tx.query(
        `WITH removed AS (DELETE FROM consent_vocabulary WHERE kind = $1 AND name = $2 RETURNING 1)
         SELECT 1 FROM removed`,
        [kind, name],
      );
      if (removed.length === 0) return false;
      await tx.appendToStream(RECORDS[kind].streamId(name), 'any', [event]);
      return true;
    });
  }

  /** Every term of the kind, by name. */
  async list(kind: VocabularyKind): Promise<VocabularyTerm[]> {
    const rows = await this.sql<TermRow>(
      `SELECT ${TERM_COLUMNS} FROM consent_vocabulary WHERE kind = $1 ORDER BY name`,
      [kind],
    );
    return rows.map(termOf);
  }

  async find(kind: VocabularyKind, name: string): Promise<VocabularyTerm | null> {
    const [row] = await this.sql<TermRow>(
      `SELECT ${TERM_COLUMNS} FROM consent_vocabulary WHERE kind = $1 AND name = $2`,
      [kind, name],
    );
    return row === undefined ? null : termOf(row);
  }

  /**
   * The words of a request's API scopes and authorization detail types, in one round trip (none
   * when it asks for neither). Reserved scopes are left out: the server words them itself. The
   * records have no prototype, so a name such as `constructor` is only ever a term.
   */
  async describe(request: {
    scopes: readonly string[];
    authorizationDetailTypes: readonly string[];
  }): Promise<ConsentDescriptions> {
    const scopes = request.scopes.filter((scope) => !RESERVED_SCOPES.includes(scope));
    const { authorizationDetailTypes } = request;
    const descriptions: ConsentDescriptions = {
      scopes: Object.create(null),
      authorizationDetailTypes: Object.create(null),
    };
    if (scopes.length === 0 && authorizationDetailTypes.length === 0) return descriptions;
    const rows = await this.sql<Pick<TermRow, 'kind' | 'name' | 'description'>>(DESCRIBE, [
      scopes,
      authorizationDetailTypes,
    ]);
    for (const { kind, name, description } of rows) {
      (kind === 'scope' ? descriptions.scopes : descriptions.authorizationDetailTypes)[name] = description;
    }
    return descriptions;
  }
}

/**
 * How many registered clients list the term in their metadata: the one place that knows which
 * metadata member lists each kind.
 */
function clientsListing(tx: EventStoreTransaction, kind: VocabularyKind, name: string): Promise<number> {
  switch (kind) {
    case 'scope':
      return countClientsListing(tx, 'scope', name);
    case 'authorization_detail_type':
      return countClientsListing(tx, 'authorization_details_types', name);
    default:
      throw new Error(`unknown vocabulary kind ${kind satisfies never}`);
  }
}

function termOf(row: TermRow): VocabularyTerm {
  return {
    kind: row.kind,
    name: row.name,
    description: row.description,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function eventMetadata(context: VocabularyChangeContext) {
  return { correlationId: context.correlationId, actor: context.actor, occurredAt: context.now.toISOString() };
}
