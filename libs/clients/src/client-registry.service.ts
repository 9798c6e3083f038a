import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, randomToken, sha256Hex } from '@backchannel/crypto';
import { EgressPolicyChecker } from '@backchannel/egress';
import { CacheInvalidation, KeptAnswers, PostgresEventStore } from '@backchannel/event-store';
import {
  clientStreamId,
  type ClientMetadata,
  type ClientDeleted,
  type ClientDisabled,
  type ClientEnabled,
  type ClientEvent,
  type ClientRegistered,
  type ClientSecretRotated,
  type ClientUpdated,
  type NewEvent,
  type TokenEndpointAuthMethod,
} from '@backchannel/events';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type RegistrationOptions, supportedAuthMethods, validateClientRegistration } from './client-metadata.js';
import type { RegisteredClient } from './registered-client.js';

export interface RegistrationContext {
  /** Who registers, as event metadata names actors (`admin`, ...). */
  actor: string;
  correlationId: string;
  now: Date;
}

/** Methods that authenticate with a secret we issue: compared by digest, or (client_secret_jwt) kept sealed. */
const SECRET_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
];

interface ClientRow {
  client_id: string;
  secret_sha256: string | null;
  sealed_secret: string | null;
  metadata: ClientMetadata;
  registered_at: Date;
  disabled_at: Date | null;
  previous_secret_sha256: string | null;
  previous_secret_valid_until: Date | null;
}

/** A registration's outcome: the client, and the credentials shown this once. */
export interface Registration {
  client: RegisteredClient;
  /** For secret methods; null otherwise (and on update, when the stored secret still serves). */
  clientSecret: string | null;
  /** RFC 7592: for clients registered through /register; rotated at each use of the management API. */
  registrationAccessToken: string | null;
}

/**
 * The client registry: every registration, update, deletion, disabling, enabling and secret
 * rotation is an event of the client's stream, with its actor, and the `clients` table is its read
 * model, written in the same transaction. Found clients are kept for CLIENT_CACHE_SECONDS; each
 * change also notifies every replica (CacheInvalidation), which forget the client at once.
 * Needs the global BACKCHANNEL_CONFIG.
 */
@Injectable()
export class ClientRegistry {
  /** Clients found (none is not kept: a client registered in another replica is not announced). */
  private readonly cache: KeptAnswers<RegisteredClient | null>;
  /** Where notification endpoints may point (CLIENT_NOTIFICATION_ALLOW_HTTP and _ALLOWED_NETWORKS). */
  private readonly egress: EgressPolicyChecker;
  /** What this deployment accepts beyond the metadata's own rules (the auth methods its settings enable). */
  private readonly accepted: RegistrationOptions;
  /** BACKCHANNEL_FAPI_CIBA: every client follows the profile, whenever it was registered. */
  private readonly fapiCiba: boolean;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly dataSource: DataSource,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
    // absent, the registry hears of no change made elsewhere, so it reads every client
    @Optional() invalidation?: CacheInvalidation,
  ) {
    this.cache = new KeptAnswers(config.clientCacheSeconds * 1000, false);
    invalidation?.register(CLIENT_CHANGES_CHANNEL, this.cache);
    this.egress = new EgressPolicyChecker(config.clientNotification);
    this.accepted = {
      authMethods: supportedAuthMethods(config.mtls, config.fapiCiba),
      fapiCiba: config.fapiCiba,
      mtlsEnabled: config.mtls.enabled,
    };
    this.fapiCiba = config.fapiCiba;
  }

  /**
   * Registers a client; a secret is returned here once and kept only as its SHA-256 digest (sealed
   * for client_secret_jwt). A client that authenticates with its keys or its certificate gets
   * none. `managed`: registered through RFC 7591, it gets a registration access token.
   */
  async register(input: unknown, context: RegistrationContext, managed = false): Promise<Registration> {
    const metadata = await validateClientRegistration(input, this.egress, this.accepted);
    const clientId = randomToken(16);
    const { secretSha256, sealedSecret, clientSecret } = await this.secretFor(clientId, metadata, null);
    const client: RegisteredClient = {
      clientId,
      secretSha256,
      sealedSecret,
      metadata,
      registeredAt: context.now.toISOString(),
    };
    const registrationAccessToken = managed ? randomToken(32) : null;
    const registered: NewEvent<ClientRegistered> = {
      type: 'ClientRegistered',
      schemaVersion: 1,
      data: client,
      metadata: eventMetadata(context),
    };
    await this.store.transaction(async (tx) => {
      await tx.appendToStream(clientStreamId(client.clientId), 0, [registered]);
      await tx.query(
        `INSERT INTO clients (client_id, secret_sha256, sealed_secret, metadata, registered_at, registration_token_sha256)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          client.clientId,
          client.secretSha256,
          client.sealedSecret,
          JSON.stringify(metadata),
          client.registeredAt,
          registrationAccessToken === null ? null : sha256Hex(registrationAccessToken),
        ],
      );
    });
    this.remember(client);
    return { client, clientSecret, registrationAccessToken };
  }

  /**
   * RFC 7592 §2.2: replaces the client's metadata. Its secret is kept while its method can use
   * it (a digest for basic and post, a seal for client_secret_jwt), else a new one is issued.
   */
  async update(current: RegisteredClient, input: unknown, context: RegistrationContext): Promise<Registration> {
    const metadata = await validateClientRegistration(input, this.egress, this.accepted);
    const { secretSha256, sealedSecret, clientSecret } = await this.secretFor(current.clientId, metadata, current);
    const client: RegisteredClient = { ...current, secretSha256, sealedSecret, metadata };
    const updated: NewEvent<ClientUpdated> = {
      type: 'ClientUpdated',
      schemaVersion: 1,
      data: { clientId: client.clientId, metadata, secretSha256, sealedSecret, updatedAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    };
    const registrationAccessToken = randomToken(32);
    await this.store.transaction(async (tx) => {
      await tx.appendToStream(clientStreamId(client.clientId), 'any', [updated]);
      await tx.query(
        `UPDATE clients SET secret_sha256 = $2, sealed_secret = $3, metadata = $4, registration_token_sha256 = $5
         WHERE client_id = $1`,
        [client.clientId, secretSha256, sealedSecret, JSON.stringify(metadata), sha256Hex(registrationAccessToken)],
      );
      await notifyClientChanged(tx, client.clientId);
    });
    this.remember(client);
    return { client, clientSecret, registrationAccessToken };
  }

  /** RFC 7592 §2.3: the client is gone (its stream keeps its history). */
  async remove(clientId: string, context: RegistrationContext): Promise<void> {
    const deleted: NewEvent<ClientDeleted> = {
      type: 'ClientDeleted',
      schemaVersion: 1,
      data: { clientId, deletedAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    };
    await this.store.transaction(async (tx) => {
      await tx.appendToStream(clientStreamId(clientId), 'any', [deleted]);
      await tx.query(`DELETE FROM clients WHERE client_id = $1`, [clientId]);
      await notifyClientChanged(tx, clientId);
    });
    this.forget(clientId);
  }

  /** Disables the client: refused at every endpoint, its tokens not accepted, until enabled. False when already so. */
  async disable(clientId: string, reason: string | null, context: RegistrationContext): Promise<boolean> {
    const event: NewEvent<ClientDisabled> = {
      type: 'ClientDisabled',
      schemaVersion: 1,
      data: { clientId, reason, disabledAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    };
    return this.change(
      clientId,
      event,
      `UPDATE clients SET disabled_at = $2 WHERE client_id = $1 AND disabled_at IS NULL`,
      [context.now],
    );
  }

  /** Enables a disabled client again. False when it was not disabled. */
  async enable(clientId: string, context: RegistrationContext): Promise<boolean> {
    const event: NewEvent<ClientEnabled> = {
      type: 'ClientEnabled',
      schemaVersion: 1,
      data: { clientId, enabledAt: context.now.toISOString() },
      metadata: eventMetadata(context),
    };
    return this.change(
      clientId,
      event,
      `UPDATE clients SET disabled_at = NULL WHERE client_id = $1 AND disabled_at IS NOT NULL`,
      [],
    );
  }

  /**
   * Replaces the secret of a client that has one, and returns the new one (shown this once). With
   * `graceSeconds` the previous secret still authenticates for that long, so the client can be
   * redeployed first; client_secret_jwt has no grace (its MAC key is the secret itself).
   */
  async rotateSecret(client: RegisteredClient, graceSeconds: number, context: RegistrationContext): Promise<string> {
    const method = client.metadata.token_endpoint_auth_method;
    if (!SECRET_AUTH_METHODS.includes(method)) throw new ClientHasNoSecretError(method);
    if (graceSeconds > 0 && client.secretSha256 === null) throw new ClientHasNoSecretError(method, 'a grace period');
    const { secretSha256, sealedSecret, clientSecret } = await this.secretFor(client.clientId, client.metadata, null);
    const validUntil = graceSeconds > 0 ? new Date(context.now.getTime() + graceSeconds * 1000) : null;
    const event: NewEvent<ClientSecretRotated> = {
      type: 'ClientSecretRotated',
      schemaVersion: 1,
      data: {
        clientId: client.clientId,
        secretSha256,
        sealedSecret,
        previousSecretValidUntil: validUntil?.toISOString() ?? null,
        rotatedAt: context.now.toISOString(),
      },
      metadata: eventMetadata(context),
    };
    await this.change(
      client.clientId,
      event,
      `UPDATE clients SET secret_sha256 = $2, sealed_secret = $3,
         previous_secret_sha256 = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE secret_sha256 END,
         previous_secret_valid_until = $4
       WHERE client_id = $1`,
      [secretSha256, sealedSecret, validUntil],
    );
    return clientSecret!;
  }

  /** Appends a lifecycle event and applies it to the read model in one transaction, if the update applies. */
  private async change(
    clientId: string,
    event: NewEvent<ClientEvent>,
    update: string,
    parameters: unknown[],
  ): Promise<boolean> {
    const changed = await this.store.transaction(async (tx) => {
      // wrapped in a SELECT: a bare UPDATE is answered with [rows, count]
      const rows: unknown[] = await tx.query(`WITH changed AS (${update} RETURNING 1) SELECT 1 FROM changed`, [
        clientId,
        ...parameters,
      ]);
      if (rows.length === 0) return false;
      await tx.appendToStream(clientStreamId(clientId), 'any', [event]);
      await notifyClientChanged(tx, clientId);
      return true;
    });
    this.forget(clientId);
    return changed;
  }

  /** Drops a client from this replica's cache (a change here; another replica's is notified). */
  private forget(clientId: string): void {
    this.cache.forget(clientId);
  }

  /** Whether this replica hears of other replicas' changes (CacheInvalidation); else it reads every time. */
  get cacheTrusted(): boolean {
    return this.cache.cacheTrusted;
  }

  /**
   * RFC 7592 §3: the client this registration access token manages, with a new token that
   * replaces it (only digests are kept, so a read cannot show the old one again); null when the
   * token is not this client's.
   */
  async withRegistrationAccess(
    clientId: string,
    token: string,
  ): Promise<{ client: RegisteredClient; rotatedToken: string } | null> {
    // Checked and replaced in one statement, so a token serves once even when two calls race with it.
    // Looked up by digest, as device tokens are: the digest of a 256-bit random token leaks nothing by timing.
    const rotatedToken = randomToken(32);
    const rotated: unknown[] = await this.dataSource.query(
      `WITH rotated AS (
         UPDATE clients SET registration_token_sha256 = $3
         WHERE client_id = $1 AND registration_token_sha256 = $2 RETURNING client_id)
       SELECT client_id FROM rotated`,
      [clientId, sha256Hex(token), sha256Hex(rotatedToken)],
    );
    if (rotated.length === 0) return null;
    const client = await this.cache.refresh(clientId, () => this.read(clientId));
    return client && { client, rotatedToken };
  }

  async find(clientId: string): Promise<RegisteredClient | null> {
    return this.cache.through(clientId, () => this.read(clientId));
  }

  private async read(clientId: string): Promise<RegisteredClient | null> {
    const rows: ClientRow[] = await this.dataSource.query(
      `SELECT client_id, secret_sha256, sealed_secret, metadata, registered_at, disabled_at, previous_secret_sha256,
         previous_secret_valid_until
       FROM clients WHERE client_id = $1`,
      [clientId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      clientId: row.client_id,
      secretSha256: row.secret_sha256,
      sealedSecret: row.sealed_secret,
      metadata: this.fapiCiba
        ? { ...row.metadata, backchannel_fapi_ciba: true, tls_client_certificate_bound_access_tokens: true }
        : row.metadata,
      registeredAt: row.registered_at.toISOString(),
      ...(row.disabled_at !== null && { disabledAt: row.disabled_at.toISOString() }),
      ...(row.previous_secret_sha256 !== null &&
        row.previous_secret_valid_until !== null && {
          previousSecret: {
            secretSha256: row.previous_secret_sha256,
            validUntil: row.previous_secret_valid_until.toISOString(),
          },
        }),
    };
  }

  /** A client this replica has just written. */
  private remember(client: RegisteredClient): void {
    this.cache.keep(client.clientId, client);
  }

  /**
   * The secret a client's method needs: a digest (basic, post) or a seal (client_secret_jwt),
   * kept from `current` when it is already stored in that form, else new (and returned once).
   */
  private async secretFor(
    clientId: string,
    metadata: ClientMetadata,
    current: RegisteredClient | null,
  ): Promise<Pick<RegisteredClient, 'secretSha256' | 'sealedSecret'> & { clientSecret: string | null }> {
    const method = metadata.token_endpoint_auth_method;
    if (!SECRET_AUTH_METHODS.includes(method)) return { secretSha256: null, sealedSecret: null, clientSecret: null };
    // A MAC needs the secret itself (sealed at rest); every other secret is only ever compared by its digest.
    const sealed = method === 'client_secret_jwt';
    if (sealed && current?.sealedSecret)
      return { secretSha256: null, sealedSecret: current.sealedSecret, clientSecret: null };
    if (!sealed && current?.secretSha256)
      return { secretSha256: current.secretSha256, sealedSecret: null, clientSecret: null };
    const clientSecret = randomToken(32);
    return sealed
      ? {
          secretSha256: null,
          sealedSecret: await this.sealer.seal(clientSecret, clientStreamId(clientId)),
          clientSecret,
        }
      : { secretSha256: sha256Hex(clientSecret), sealedSecret: null, clientSecret };
  }
}

/** A lifecycle change the client's method does not allow. */
export class ClientHasNoSecretError extends Error {
  constructor(method: string, what = 'a secret to rotate') {
    super(`a client authenticating with ${method} has no ${what}`);
    this.name = 'ClientHasNoSecretError';
  }
}

/** The channel on which every replica hears that a client changed (payload: its client_id). */
export const CLIENT_CHANGES_CHANNEL = 'backchannel_client_changes';

/** Delivered when the transaction commits, so no replica reloads before the change is visible. */
async function notifyClientChanged(
  tx: { query: (sql: string, parameters?: unknown[]) => Promise<unknown> },
  clientId: string,
) {
  await tx.query(`SELECT pg_notify($1, $2)`, [CLIENT_CHANGES_CHANNEL, clientId]);
}

/**
 * How many registered clients list a term of the consent vocabulary in their metadata: an API
 * scope in `scope`, or an authorization-detail type in `authorization_details_types` (so neither is
 * removed while a client may still ask for it). Runs in the caller's transaction.
 */
export async function countClientsListing(
  tx: { query: <Row>(sql: string, parameters?: unknown[]) => Promise<Row[]> },
  member: 'scope' | 'authorization_details_types',
  term: string,
): Promise<number> {
  const listed =
    member === 'scope'
      ? `$1 = ANY(string_to_array(metadata->>'scope', ' '))`
      : `metadata->'authorization_details_types' ? $1`;
  const [row] = await tx.query<{ clients: number }>(`SELECT count(*)::int AS clients FROM clients WHERE ${listed}`, [
    term,
  ]);
  return row!.clients;
}

/** The metadata of an event recording what `context` did. */
export function eventMetadata(context: RegistrationContext) {
  return { correlationId: context.correlationId, actor: context.actor, occurredAt: context.now.toISOString() };
}
