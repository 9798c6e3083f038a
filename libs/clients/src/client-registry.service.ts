import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, randomToken, sha256Hex } from '@backchannel/crypto';
import { EgressPolicyChecker } from '@backchannel/egress';
import { PostgresEventStore } from '@backchannel/event-store';
import {
  clientStreamId,
  type ClientMetadata,
  type ClientRegistered,
  type NewEvent,
  type TokenEndpointAuthMethod,
} from '@backchannel/events';
import { Inject, Injectable } from '@nestjs/common';
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
}

/**
 * The client registry: every registration is a ClientRegistered event, and the `clients` table is
 * its read model, written in the same transaction. Needs the global BACKCHANNEL_CONFIG.
 */
@Injectable()
export class ClientRegistry {
  /** Clients never change once registered, so a found client is kept for the life of the process. */
  private readonly cache = new Map<string, RegisteredClient>();
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
  ) {
    this.egress = new EgressPolicyChecker(config.clientNotification);
    this.accepted = {
      authMethods: supportedAuthMethods(config.mtls, config.fapiCiba),
      fapiCiba: config.fapiCiba,
      mtlsEnabled: config.mtls.enabled,
    };
    this.fapiCiba = config.fapiCiba;
  }

  /**
   * Registers a client; a secret is returned here once and kept only as its SHA-256 digest. A
   * client that authenticates with its keys or its certificate gets none (`clientSecret` null).
   */
  async register(
    input: unknown,
    context: RegistrationContext,
  ): Promise<{ client: RegisteredClient; clientSecret: string | null }> {
    const metadata = await validateClientRegistration(input, this.egress, this.accepted);
    const usesSecret = SECRET_AUTH_METHODS.includes(metadata.token_endpoint_auth_method);
    const clientSecret = usesSecret ? randomToken(32) : null;
    const clientId = randomToken(16);
    // A MAC needs the secret itself (sealed at rest); every other secret is only ever compared by its digest.
    const sealed = metadata.token_endpoint_auth_method === 'client_secret_jwt';
    const client: RegisteredClient = {
      clientId,
      secretSha256: clientSecret === null || sealed ? null : sha256Hex(clientSecret),
      sealedSecret: sealed ? await this.sealer.seal(clientSecret, clientStreamId(clientId)) : null,
      metadata,
      registeredAt: context.now.toISOString(),
    };
    const registered: NewEvent<ClientRegistered> = {
      type: 'ClientRegistered',
      schemaVersion: 1,
      data: client,
      metadata: { correlationId: context.correlationId, actor: context.actor, occurredAt: client.registeredAt },
    };
    await this.store.transaction(async (tx) => {
      await tx.appendToStream(clientStreamId(client.clientId), 0, [registered]);
      await tx.query(
        `INSERT INTO clients (client_id, secret_sha256, sealed_secret, metadata, registered_at) VALUES ($1, $2, $3, $4, $5)`,
        [client.clientId, client.secretSha256, client.sealedSecret, JSON.stringify(metadata), client.registeredAt],
      );
    });
    this.cache.set(client.clientId, client);
    return { client, clientSecret };
  }

  async find(clientId: string): Promise<RegisteredClient | null> {
    const cached = this.cache.get(clientId);
    if (cached) return cached;
    const rows: ClientRow[] = await this.dataSource.query(
      `SELECT client_id, secret_sha256, sealed_secret, metadata, registered_at FROM clients WHERE client_id = $1`,
      [clientId],
    );
    const row = rows[0];
    if (!row) return null;
    const client: RegisteredClient = {
      clientId: row.client_id,
      secretSha256: row.secret_sha256,
      sealedSecret: row.sealed_secret,
      metadata: this.fapiCiba
        ? { ...row.metadata, backchannel_fapi_ciba: true, tls_client_certificate_bound_access_tokens: true }
        : row.metadata,
      registeredAt: row.registered_at.toISOString(),
    };
    this.cache.set(clientId, client);
    return client;
  }
}
