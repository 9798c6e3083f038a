import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { B64TOKEN } from '@backchannel/oauth';
import { type NetworkInterfaces, privateAddressOf } from './private-address.js';
import { SECRET_VARIABLES, SECRETS, type ServiceRequirements } from './service-secrets.js';

/**
 * Typed configuration, validated once at start from environment variables. A missing or unsafe
 * setting stops the service with a message naming the variable. Defaults are safe for production;
 * the `embedded` and `test` profiles relax a few of them (plain http issuer) and say so loudly.
 */
export type Profile = 'production' | 'embedded' | 'test';

export interface BackchannelConfig {
  profile: Profile;
  /**
   * The address this process listens on (HOST), its metrics and admin listeners too unless said.
   * Production: every interface at the public edge, the machine's private address elsewhere.
   */
  host: string;
  port: number;
  /** The issuer identifier: the public base URL of the gateway. */
  issuer: string;
  databaseUrl: string;
  kafkaBrokers: string[];
  /** How the Kafka clients authenticate and protect the connection (KAFKA_SSL*, KAFKA_SASL_*); empty: plaintext. */
  kafkaSecurity: KafkaSecurity;
  /** Whether a service applies its modules' pending migrations on start (false when a deployment job runs them first). */
  migrateOnStart: boolean;
  /** Bearer token of the admin API; null in a service that needs none (its admin API, if any, refuses every call). */
  adminToken: string | null;
  /**
   * The key-encryption keys (BACKCHANNEL_KEY_ENCRYPTION_KEYS, or BACKCHANNEL_KEY_ENCRYPTION_KEY alone):
   * every one opens what names its kid, the last one seals. Empty in a service that needs none.
   */
  keyEncryptionKeys: readonly KeyEncryptionKey[];
  /** Variables of secrets this service does not need, given anyway: ignored, and named in a warning at start. */
  ignoredSecrets: readonly string[];
  /** When token signing keys rotate, and how long each is published before and after it signs. */
  signingKeys: SigningKeyRotation;
  authRequest: {
    defaultExpirySeconds: number;
    minExpirySeconds: number;
    maxExpirySeconds: number;
    pollIntervalSeconds: number;
  };
  accessTokenTtlSeconds: number;
  idTokenTtlSeconds: number;
  /**
   * How long after issuance the client that redeemed an auth_req_id at /token gets the same
   * response again (a retry after a response lost to a crash); 0: never.
   */
  tokenRetryWindowSeconds: number;
  refreshTokens: {
    /** How long one refresh token may wait for its use; each use gives a new one (rotation). */
    ttlSeconds: number;
    /** The whole family's lifetime from the user's consent: no rotation extends it. */
    maxAgeSeconds: number;
  };
  /** RFC 9449: whether DPoP proofs must carry the server's current nonce (`use_dpop_nonce` until they do). */
  dpopRequireNonce: boolean;
  /** Whether this process takes part in relaying the event store to Kafka (one is active at a time). */
  relayEnabled: boolean;
  /** How a consumer works through what it is handed (deployment settings, like the topics' partitions). */
  consumers: {
    /** Streams of one batch handled at once (each stream's events stay in order). */
    streamLanes: number;
    /** Kafka partitions of a topic one consumer process works on at once. */
    partitionsConsumedConcurrently: number;
    /**
     * How long the broker may hold a Kafka fetch to fill it: fewer, fuller fetches under load
     * (less broker and consumer CPU per event) for at most `maxWaitMs` more latency when quiet.
     */
    kafkaFetch: { minBytes: number; maxWaitMs: number };
    /**
     * How soon the group coordinator gives up on a member that stopped heartbeating (a crashed
     * replica: its partitions wait that long for a new owner, and a restarted replica waits that
     * long to rejoin), how often members heartbeat, and how long a rebalance waits for members.
     */
    kafkaGroup: { sessionTimeoutMs: number; heartbeatIntervalMs: number; rebalanceTimeoutMs: number };
  };
  /** Where the gateway forwards each API (distributed topology). */
  upstreams: { backchannel: string; token: string; approvals: string };
  /**
   * Whether this service forwards to plain http upstreams (UPSTREAM_ALLOW_HTTP): only the gateway
   * calls them, and in production only where the network protects that traffic (the Helm chart's
   * NetworkPolicies). False in a service that does not call them.
   */
  upstreamAllowHttp: boolean;
  /** Request body limit at the edge, in bytes. */
  bodyLimitBytes: number;
  /** How long a client may take over its request, and keep an idle connection (see httpServerOptions in libs/http). */
  httpTimeouts: HttpTimeouts;
  /** Calls to clients' notification endpoints (ping and push), by ping-delivery. */
  clientNotification: ClientNotificationConfig;
  /**
   * Push bombing limits, answered at /bc-authorize with access_denied; and how many devices a
   * user may have (each one is another call out for every request), answered with 409.
   */
  abuseLimits: {
    maxPendingPerUser: number;
    maxPendingPerClientAndUser: number;
    maxDevicesPerUser: number;
    /** How often one client may prompt one user, its wait after a denial, its block after "this wasn't me". */
    prompts: {
      perClientAndUser: { budget: number; windowSeconds: number };
      backoffAfterDenialSeconds: number;
      notMeBlockSeconds: number;
    };
    /** auth_req_id guessing: a client with `budget` invalid_grant answers in a window of `windowSeconds` gets slow_down until it ends. */
    invalidGrants: { budget: number; windowSeconds: number };
    /**
     * Credential guessing at the admin and device APIs: an address (IPv6: its /64) with `budget`
     * failed authentications in a window of `windowSeconds` is answered 429 until it ends.
     */
    failedAuthentications: { budget: number; windowSeconds: number };
  };
  /** The built-in authenticator's passkeys. */
  webAuthn: {
    /** Relying party id: the issuer's host name unless set. */
    rpId: string;
    rpName: string;
    /** Origins an assertion may come from: the issuer's origin unless set. */
    origins: string[];
    /** How long an enrolment code can be redeemed. */
    enrolmentTtlSeconds: number;
  };
  /** Web Push (RFC 8030/8291/8292) to the built-in authenticator. */
  webPush: {
    /** VAPID key pair (base64url, as the web-push package prints them); null: generated once and kept. */
    vapidKeys: { publicKey: string; privateKey: string } | null;
    /** VAPID `sub`: a mailto: or https: contact for push services. */
    subject: string;
  };
  /** Keycloak-compatible HTTP authentication channel: where requests are POSTed; null when not used. */
  keycloakChannelUrl: string | null;
  /** How the active relay moves the event log to Kafka (deployment settings; see docs/performance.md, "The relay"). */
  relay: {
    /** Events the relay reads from the log at once (RELAY_BATCH_SIZE). */
    batchSize: number;
    /** Compression of the produced batches (RELAY_COMPRESSION): none, or gzip to trade CPU for bytes. */
    compression: 'none' | 'gzip';
    /** Largest produce request (RELAY_MAX_REQUEST_BYTES), below the brokers' message.max.bytes. */
    maxRequestBytes: number;
    /** Whether the relay creates missing topics (KAFKA_CREATE_TOPICS; false where they are managed, e.g. Strimzi KafkaTopics). */
    createTopics: boolean;
    /** Partitions and replication factor of the topics it creates (KAFKA_TOPIC_PARTITIONS, KAFKA_TOPIC_REPLICATION_FACTOR). */
    partitions: number;
    replicationFactor: number;
  };
  /** This process's own TLS listener (TLS_CERT_FILE, TLS_KEY_FILE); null: plain HTTP behind a TLS-terminating proxy. */
  tls: { certFile: string; keyFile: string } | null;
  /** Clients' keys registered by reference (jwks_uri): how long a fetched set is used, how often an unknown kid may refetch it. */
  clientJwks: { cacheSeconds: number; minRefetchSeconds: number };
  /** Pruning of operational tables (events are kept): ages in days, and how often (0 minutes: never). */
  retention: { operationalDays: number; deadLetterDays: number; intervalMinutes: number };
  /** How often a signed audit checkpoint of the log's head is made (0: never; `ops checkpoint` still can). */
  auditCheckpointIntervalMinutes: number;
  /** Where this process serves GET /metrics (METRICS_PORT, on HOST); null: no metrics listener. */
  metricsPort: number | null;
  /**
   * The public edge's (gateway's, or the embedded process's) listener for the admin API and console
   * (ADMIN_HOST, ADMIN_PORT): the public listener then answers them 404. Production: port 3001
   * unless set; the embedded and test profiles serve them on the public port unless ADMIN_PORT is set.
   */
  adminListener: { host: string; port: number } | null;
  /** How long a service keeps a client it looked up: updates and deletions reach every replica within this. */
  clientCacheSeconds: number;
  /**
   * How long a service keeps what the user directory answered (the user a hint names, whether they
   * may be asked or given tokens); changes are notified to every replica, this bounds a lost one.
   */
  directoryCacheSeconds: number;
  /** RFC 7591 registration without an initial access token (OPEN_REGISTRATION); off unless set. */
  openRegistration: boolean;
  /** Every client follows the FAPI-CIBA profile (BACKCHANNEL_FAPI_CIBA); needs mTLS for its certificate-bound tokens. */
  fapiCiba: boolean;
  /** Mutual-TLS client authentication and certificate-bound tokens (RFC 8705); see the README, "Mutual TLS". */
  mtls: MtlsConfig;
  /**
   * The proxies in front of this process (TRUSTED_PROXIES, CIDR ranges): from these peers only,
   * X-Forwarded-For names the client's address (what failed authentications are counted by) and,
   * with mTLS on, the certificate header carries its certificate. From anyone else both are ignored.
   */
  trustedProxies: string[];
}

/** 32 random bytes that seal keys and secrets at rest, and the id that sealed values name it by. */
export interface KeyEncryptionKey {
  kid: string;
  key: Uint8Array;
}

/**
 * The kid of a key given alone in BACKCHANNEL_KEY_ENCRYPTION_KEY. Values sealed before key rings name
 * no key-encryption key: they were sealed with that single key, so they open with this kid too.
 */
export const INITIAL_KEY_ENCRYPTION_KEY_ID = 'initial';

export interface SigningKeyRotation {
  /** Days a signing key signs before the next one takes over; 0: only when an operator rotates (`ops rotate-signing-key`). */
  rotationDays: number;
  /** How long a next key is in the JWKS before it signs, so that relying parties' cached key sets know it. */
  publishLeadSeconds: number;
  /** The longest any JWT we sign lives: a superseded key stays in the JWKS this long after its successor signs. */
  longestTokenLifetimeSeconds: number;
}

export interface MtlsConfig {
  /**
   * PEM file of the certificate authorities whose client certificates tls_client_auth accepts
   * (TLS_CLIENT_CA_FILE); null: tls_client_auth is not offered (self-signed certificates still are).
   */
  clientCaFile: string | null;
  /**
   * The header in which a trusted TLS-terminating proxy passes the client certificate, as a
   * URL-encoded PEM (MTLS_CLIENT_CERT_HEADER, lower case). The gateway forwards certificates to the
   * services in the same header.
   */
  certificateHeader: string;
  /** Where the mTLS endpoints are when not at the issuer (MTLS_ENDPOINT_BASE_URL): discovery's mtls_endpoint_aliases. */
  endpointBaseUrl: string | null;
  /**
   * Whether client certificates reach this deployment: always through our own TLS listener
   * (TLS_CERT_FILE), from a trusted proxy's certificate header only with MTLS_ENABLED.
   */
  enabled: boolean;
}

export interface ClientNotificationConfig {
  /** Plain http endpoints accepted (at registration and delivery). Off in production unless set. */
  allowHttp: boolean;
  /**
   * CIDR ranges an endpoint may resolve into although they are private, loopback or otherwise
   * not public. Link-local and metadata addresses (169.254.0.0/16, fe80::/10) are refused anyway.
   */
  allowedNetworks: string[];
  /** Connect + response timeout of one attempt. */
  timeoutMs: number;
  /** PEM file of extra certificate authorities trusted for endpoints (besides Node's bundled roots). */
  caFile: string | null;
  /** Backoff between attempts after a network error, a timeout or a 5xx. */
  retry: { initialDelayMs: number; maxDelayMs: number };
  /** How long a worker owns a claimed delivery; after a crash, another one resends when it lapses. */
  leaseSeconds: number;
  /** Notifications due at expiry (push expired_token, transaction_failed) are retried this long after it. */
  expiryGraceSeconds: number;
  /** How often the delivery worker looks for due work when nothing woke it up. */
  pollIntervalMs: number;
}

export interface HttpTimeouts {
  /** To send the request line and headers: a slow-header (Slowloris) client is answered 408 after this. */
  headersMs: number;
  /** To send the whole request, body included: a body that stops early is answered 408 after this. */
  requestMs: number;
  /**
   * An idle keep-alive connection is closed after this; longer than a proxy's or load balancer's
   * idle timeout in front of us, so they never reuse a connection we are closing.
   */
  keepAliveMs: number;
}

const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const httpUrl = z.url({ protocol: /^https?$/ });

const KEY_ENCRYPTION_KEY = /^[A-Za-z0-9_-]{43}$/;
const KEY_ENCRYPTION_KEY_MESSAGE = 'must be 32 random bytes, base64url without padding (43 characters)';
/** A key-encryption key's id: it travels in the JWE header of everything sealed with the key. */
const KEY_ENCRYPTION_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

const environmentSchema = z.object({
  BACKCHANNEL_PROFILE: z.enum(['production', 'embedded', 'test']).default('production'),
  HOST: z.string().min(1).optional(),
  PORT: integer(3000, 1, 65535),
  BACKCHANNEL_ISSUER: httpUrl.optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  // kept apart from the URL where a deployment takes it from a secret (any characters; encoded here)
  DATABASE_PASSWORD: z.string().min(1).optional(),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  // only the services with an admin API need it (SECRETS_OF_SERVICE)
  BACKCHANNEL_ADMIN_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters')
    // the syntax of a bearer credential (RFC 6750 §2.1), or no Authorization header could carry it
    .regex(B64TOKEN, 'must use only letters, digits and -._~+/ (a bearer token)')
    .optional(),
  BACKCHANNEL_KEY_ENCRYPTION_KEY: z.string().regex(KEY_ENCRYPTION_KEY, KEY_ENCRYPTION_KEY_MESSAGE).optional(),
  // kid:key,kid:key (checked in keyEncryptionKeys: a key must never be echoed in a message)
  BACKCHANNEL_KEY_ENCRYPTION_KEYS: z.string().optional(),
  SIGNING_KEY_ROTATION_DAYS: integer(30, 0, 3650),
  // at least twice the JWKS's max-age (300 s), so a cached key set fetched just before publication has expired
  SIGNING_KEY_PUBLISH_LEAD_SECONDS: integer(3600, 600, 30 * 86_400),
  AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: integer(300, 1, 86_400),
  AUTH_REQUEST_MIN_EXPIRY_SECONDS: integer(10, 1, 86_400),
  AUTH_REQUEST_MAX_EXPIRY_SECONDS: integer(1800, 1, 86_400),
  POLL_INTERVAL_SECONDS: integer(5, 1, 3600),
  ACCESS_TOKEN_TTL_SECONDS: integer(600, 30, 86_400),
  ID_TOKEN_TTL_SECONDS: integer(600, 30, 86_400),
  TOKEN_RETRY_WINDOW_SECONDS: integer(60, 0, 600),
  REFRESH_TOKEN_TTL_SECONDS: integer(14 * 86_400, 60, 366 * 86_400),
  REFRESH_TOKEN_MAX_AGE_SECONDS: integer(90 * 86_400, 60, 5 * 366 * 86_400),
  DPOP_REQUIRE_NONCE: z.enum(['true', 'false']).default('true'),
  RELAY_ENABLED: z.enum(['true', 'false']).default('true'),
  DATABASE_MIGRATE_ON_START: z.enum(['true', 'false']).default('true'),
  CONSUMER_STREAM_LANES: integer(8, 1, 256),
  KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: integer(3, 1, 64),
  KAFKA_FETCH_MIN_BYTES: integer(16 * 1024, 1, 16 * 1024 * 1024),
  KAFKA_FETCH_MAX_WAIT_MS: integer(20, 0, 5000),
  // kafkajs' defaults are 30 s, 3 s and 60 s; a broker accepts sessions of 6 s to 30 min by default
  KAFKA_SESSION_TIMEOUT_MS: integer(10_000, 1_000, 1_800_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: integer(1_000, 100, 600_000),
  KAFKA_REBALANCE_TIMEOUT_MS: integer(10_000, 1_000, 1_800_000),
  BACKCHANNEL_URL: httpUrl.default('http://127.0.0.1:3001'),
  TOKEN_URL: httpUrl.default('http://127.0.0.1:3002'),
  APPROVALS_URL: httpUrl.default('http://127.0.0.1:3005'),
  UPSTREAM_ALLOW_HTTP: z.enum(['true', 'false']).optional(),
  BODY_LIMIT_BYTES: integer(64 * 1024, 1024, 10 * 1024 * 1024),
  HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 1_000, 120_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 1_000, 600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(72_000, 1_000, 600_000),
  CLIENT_NOTIFICATION_ALLOW_HTTP: z.enum(['true', 'false']).optional(),
  CLIENT_NOTIFICATION_ALLOWED_NETWORKS: z.string().optional(),
  CLIENT_NOTIFICATION_TIMEOUT_MS: integer(5_000, 100, 60_000),
  CLIENT_NOTIFICATION_CA_FILE: z.string().min(1).optional(),
  CLIENT_NOTIFICATION_RETRY_INITIAL_MS: integer(1_000, 10, 600_000),
  CLIENT_NOTIFICATION_RETRY_MAX_MS: integer(60_000, 10, 3_600_000),
  CLIENT_NOTIFICATION_LEASE_SECONDS: integer(30, 1, 3_600),
  CLIENT_NOTIFICATION_EXPIRY_GRACE_SECONDS: integer(60, 0, 86_400),
  CLIENT_NOTIFICATION_POLL_MS: integer(1_000, 10, 60_000),
  AUTH_REQUEST_MAX_PENDING_PER_USER: integer(5, 1, 1_000),
  AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: integer(2, 1, 1_000),
  AUTH_REQUEST_RATE_PER_CLIENT_AND_USER: integer(20, 1, 100_000),
  AUTH_REQUEST_RATE_WINDOW_SECONDS: integer(3_600, 1, 7 * 86_400),
  AUTH_REQUEST_DENIAL_BACKOFF_SECONDS: integer(60, 0, 86_400),
  AUTH_REQUEST_NOT_ME_BLOCK_SECONDS: integer(86_400, 0, 366 * 86_400),
  MAX_DEVICES_PER_USER: integer(10, 1, 1_000),
  INVALID_GRANT_BUDGET: integer(60, 1, 100_000),
  INVALID_GRANT_WINDOW_SECONDS: integer(60, 1, 86_400),
  FAILED_AUTHENTICATION_BUDGET: integer(20, 1, 100_000),
  FAILED_AUTHENTICATION_WINDOW_SECONDS: integer(300, 1, 86_400),
  WEBAUTHN_RP_ID: z.string().min(1).optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).default('Backchannel'),
  WEBAUTHN_ORIGINS: z.string().min(1).optional(),
  ENROLMENT_CODE_TTL_SECONDS: integer(900, 60, 604_800),
  WEB_PUSH_VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, 'must be a base64url P-256 public key')
    .optional(),
  WEB_PUSH_VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 private key')
    .optional(),
  WEB_PUSH_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https: URL')
    .optional(),
  KEYCLOAK_CHANNEL_URL: httpUrl.optional(),
  RELAY_BATCH_SIZE: integer(500, 1, 10_000),
  RELAY_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  RELAY_MAX_REQUEST_BYTES: integer(512 * 1024, 16 * 1024, 64 * 1024 * 1024),
  KAFKA_CREATE_TOPICS: z.enum(['true', 'false']).default('true'),
  KAFKA_SSL: z.enum(['true', 'false']).default('false'),
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_TOPIC_PARTITIONS: integer(3, 1, 1_000),
  KAFKA_TOPIC_REPLICATION_FACTOR: integer(1, 1, 10),
  CLIENT_JWKS_CACHE_SECONDS: integer(300, 0, 86_400),
  CLIENT_JWKS_MIN_REFETCH_SECONDS: integer(60, 0, 3_600),
  BACKCHANNEL_FAPI_CIBA: z.enum(['true', 'false']).default('false'),
  CLIENT_CACHE_SECONDS: integer(10, 0, 3600),
  DIRECTORY_CACHE_SECONDS: integer(10, 0, 3600),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ADMIN_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ADMIN_HOST: z.string().min(1).optional(),
  RETENTION_DAYS: integer(7, 1, 3650),
  DEAD_LETTER_RETENTION_DAYS: integer(30, 1, 3650),
  RETENTION_INTERVAL_MINUTES: integer(60, 0, 10_080),
  AUDIT_CHECKPOINT_INTERVAL_MINUTES: integer(60, 0, 10_080),
  OPEN_REGISTRATION: z.enum(['true', 'false']).default('false'),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  // nginx ingress's name for it (auth-tls-pass-certificate-to-upstream)
  MTLS_CLIENT_CERT_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')
    .default('ssl-client-cert'),
  TRUSTED_PROXIES: z.string().optional(),
  MTLS_ENABLED: z.enum(['true', 'false']).optional(),
  MTLS_ENDPOINT_BASE_URL: httpUrl.optional(),
});

/** Loopback only: what the embedded and test profiles allow notification endpoints to reach by default. */
const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'];

/** kafkajs' `ssl` and `sasl` options, as far as deployments need them. */
export interface KafkaSecurity {
  ssl?: true | { ca: string[] };
  sasl?: { [M in KafkaSaslMechanism]: { mechanism: M; username: string; password: string } }[KafkaSaslMechanism];
}

type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export class ConfigurationError extends Error {
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * `needs`: the secrets of the service (SECRETS_OF_SERVICE), all of them unless said. A secret it
 * needs is required; one it does not need is not read at all, not even checked. `callsUpstreams`:
 * the upstream URLs are checked (requirementsOf says which services call them). `publicEdge`:
 * clients reach it, so in production it listens on every interface; a service that is not (the
 * default) listens on the private address found in `interfaces` unless HOST is set.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { needs = SECRETS, callsUpstreams = false, publicEdge = false }: Partial<ServiceRequirements> = {},
  interfaces: () => NetworkInterfaces = networkInterfaces,
): BackchannelConfig {
  const ignoredSecrets = SECRETS.filter((secret) => !needs.includes(secret))
    .flatMap((secret) => SECRET_VARIABLES[secret])
    .filter((variable) => env[variable] !== undefined);
  const parsed = environmentSchema.safeParse({
    ...env,
    ...Object.fromEntries(ignoredSecrets.map((variable) => [variable, undefined])),
  });
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const profile = e.BACKCHANNEL_PROFILE;
  const relaxed = profile !== 'production';
  const problems: string[] = [];

  const issuer = (e.BACKCHANNEL_ISSUER ?? (relaxed ? `http://localhost:${e.PORT}` : '')).replace(/\/+$/, '');
  if (!issuer) problems.push('BACKCHANNEL_ISSUER: required in production (the public https URL of the gateway)');
  else if (!issuer.startsWith('https://') && !relaxed) {
    problems.push('BACKCHANNEL_ISSUER: must be https in production (plain http only in the embedded or test profile)');
  }
  if (e.AUTH_REQUEST_MIN_EXPIRY_SECONDS > e.AUTH_REQUEST_MAX_EXPIRY_SECONDS) {
    problems.push('AUTH_REQUEST_MIN_EXPIRY_SECONDS: must not exceed AUTH_REQUEST_MAX_EXPIRY_SECONDS');
  }
  // Kafka's advice: a member misses two heartbeats before its session ends
  if (e.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > e.KAFKA_SESSION_TIMEOUT_MS) {
    problems.push('KAFKA_HEARTBEAT_INTERVAL_MS: must be at most a third of KAFKA_SESSION_TIMEOUT_MS');
  }
  // a retry answered with the tokens it was answered before must not get expired ones
  if (e.TOKEN_RETRY_WINDOW_SECONDS >= e.ACCESS_TOKEN_TTL_SECONDS) {
    problems.push('TOKEN_RETRY_WINDOW_SECONDS: must be shorter than ACCESS_TOKEN_TTL_SECONDS');
  }
  // Node refuses a header timeout longer than the request's, which includes the headers
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  const defaultExpiry = e.AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS;
  if (defaultExpiry < e.AUTH_REQUEST_MIN_EXPIRY_SECONDS || defaultExpiry > e.AUTH_REQUEST_MAX_EXPIRY_SECONDS) {
    problems.push('AUTH_REQUEST_DEFAULT_EXPIRY_SECONDS: must lie between the minimum and maximum expiry');
  }
  const kafkaBrokers = e.KAFKA_BROKERS.split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (kafkaBrokers.length === 0) problems.push('KAFKA_BROKERS: at least one host:port');
  const allowedNetworks =
    e.CLIENT_NOTIFICATION_ALLOWED_NETWORKS === undefined
      ? relaxed
        ? LOOPBACK_NETWORKS
        : []
      : e.CLIENT_NOTIFICATION_ALLOWED_NETWORKS.split(',')
          .map((network) => network.trim())
          .filter(Boolean);
  for (const network of allowedNetworks) {
    if (!CIDR.test(network)) {
      problems.push(`CLIENT_NOTIFICATION_ALLOWED_NETWORKS: '${network}' is not an address range like 10.0.0.0/8`);
    }
  }
  if (e.CLIENT_NOTIFICATION_RETRY_INITIAL_MS > e.CLIENT_NOTIFICATION_RETRY_MAX_MS) {
    problems.push('CLIENT_NOTIFICATION_RETRY_INITIAL_MS: must not exceed CLIENT_NOTIFICATION_RETRY_MAX_MS');
  }
  if ((e.WEB_PUSH_VAPID_PUBLIC_KEY === undefined) !== (e.WEB_PUSH_VAPID_PRIVATE_KEY === undefined)) {
    problems.push('WEB_PUSH_VAPID_PUBLIC_KEY: set both VAPID keys, or neither (they are then generated once and kept)');
  }
  if (e.KEYCLOAK_CHANNEL_URL?.startsWith('http://') && !relaxed) {
    problems.push('KEYCLOAK_CHANNEL_URL: must be https in production');
  }
  if (e.AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER > e.AUTH_REQUEST_MAX_PENDING_PER_USER) {
    problems.push('AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER: must not exceed AUTH_REQUEST_MAX_PENDING_PER_USER');
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
  }
  const trustedProxies = (e.TRUSTED_PROXIES ?? '')
    .split(',')
    .map((network) => network.trim())
    .filter(Boolean);
  for (const network of trustedProxies) {
    if (!CIDR.test(network)) problems.push(`TRUSTED_PROXIES: '${network}' is not an address range like 10.0.0.0/8`);
  }
  // a proxy's certificate header is believed only when asked for: TRUSTED_PROXIES alone (the
  // client's address) must not announce mTLS
  const mtlsEnabled = e.MTLS_ENABLED === undefined ? e.TLS_CERT_FILE !== undefined : e.MTLS_ENABLED === 'true';
  if (mtlsEnabled && e.TLS_CERT_FILE === undefined && trustedProxies.length === 0) {
    problems.push(
      'MTLS_ENABLED: client certificates reach this process over its own TLS listener (TLS_CERT_FILE) or from a proxy in TRUSTED_PROXIES: set one',
    );
  }
  if (e.BACKCHANNEL_FAPI_CIBA === 'true' && !mtlsEnabled) {
    problems.push(
      'BACKCHANNEL_FAPI_CIBA: FAPI-CIBA binds access tokens to client certificates: set TLS_CERT_FILE, or MTLS_ENABLED=true with TRUSTED_PROXIES, so they reach the server',
    );
  }
  if (e.MTLS_ENDPOINT_BASE_URL?.startsWith('http://') && !relaxed) {
    problems.push('MTLS_ENDPOINT_BASE_URL: must be https in production');
  }
  const upstreamAllowHttp =
    callsUpstreams && (e.UPSTREAM_ALLOW_HTTP === undefined ? relaxed : e.UPSTREAM_ALLOW_HTTP === 'true');
  if (callsUpstreams && !upstreamAllowHttp) {
    const upstreams = { BACKCHANNEL_URL: e.BACKCHANNEL_URL, TOKEN_URL: e.TOKEN_URL, APPROVALS_URL: e.APPROVALS_URL };
    for (const [variable, url] of Object.entries(upstreams)) {
      if (url.startsWith('http://')) {
        problems.push(
          `${variable}: must be https in production (UPSTREAM_ALLOW_HTTP=true where the network protects it)`,
        );
      }
    }
  }
  const security = kafkaSecurity(e, problems);
  const keyEncryptionKeys = needs.includes('keyEncryptionKeys') ? keyEncryptionKeysOf(e, problems) : [];
  if (needs.includes('adminToken') && e.BACKCHANNEL_ADMIN_TOKEN === undefined) {
    problems.push('BACKCHANNEL_ADMIN_TOKEN: required by this service (it serves the admin API)');
  }
  const signingKeys = signingKeyRotation(e, problems);
  const host = e.HOST ?? defaultHost(profile, publicEdge, interfaces, problems);
  // only the public edge serves the admin API: on a listener the cluster reaches, not the internet
  const adminListener = publicEdge
    ? adminListenerOf(e, profile, () => defaultHost(profile, false, interfaces, problems, 'ADMIN_HOST'), problems)
    : null;
  if (problems.length > 0) throw new ConfigurationError(problems);
  const issuerUrl = new URL(issuer);

  return {
    profile,
    host,
    port: e.PORT,
    issuer,
    databaseUrl: withPassword(e.DATABASE_URL, e.DATABASE_PASSWORD),
    kafkaBrokers,
    kafkaSecurity: security,
    adminToken: e.BACKCHANNEL_ADMIN_TOKEN ?? null,
    keyEncryptionKeys,
    ignoredSecrets,
    signingKeys,
    authRequest: {
      defaultExpirySeconds: defaultExpiry,
      minExpirySeconds: e.AUTH_REQUEST_MIN_EXPIRY_SECONDS,
      maxExpirySeconds: e.AUTH_REQUEST_MAX_EXPIRY_SECONDS,
      pollIntervalSeconds: e.POLL_INTERVAL_SECONDS,
    },
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    idTokenTtlSeconds: e.ID_TOKEN_TTL_SECONDS,
    tokenRetryWindowSeconds: e.TOKEN_RETRY_WINDOW_SECONDS,
    refreshTokens: { ttlSeconds: e.REFRESH_TOKEN_TTL_SECONDS, maxAgeSeconds: e.REFRESH_TOKEN_MAX_AGE_SECONDS },
    dpopRequireNonce: e.DPOP_REQUIRE_NONCE === 'true',
    relayEnabled: e.RELAY_ENABLED === 'true',
    migrateOnStart: e.DATABASE_MIGRATE_ON_START === 'true',
    consumers: {
      streamLanes: e.CONSUMER_STREAM_LANES,
      partitionsConsumedConcurrently: e.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
      kafkaFetch: { minBytes: e.KAFKA_FETCH_MIN_BYTES, maxWaitMs: e.KAFKA_FETCH_MAX_WAIT_MS },
      kafkaGroup: {
        sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
        rebalanceTimeoutMs: e.KAFKA_REBALANCE_TIMEOUT_MS,
      },
    },
    upstreams: { backchannel: e.BACKCHANNEL_URL, token: e.TOKEN_URL, approvals: e.APPROVALS_URL },
    upstreamAllowHttp,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    httpTimeouts: {
      headersMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    clientNotification: {
      allowHttp: e.CLIENT_NOTIFICATION_ALLOW_HTTP === undefined ? relaxed : e.CLIENT_NOTIFICATION_ALLOW_HTTP === 'true',
      allowedNetworks,
      timeoutMs: e.CLIENT_NOTIFICATION_TIMEOUT_MS,
      caFile: e.CLIENT_NOTIFICATION_CA_FILE ?? null,
      retry: { initialDelayMs: e.CLIENT_NOTIFICATION_RETRY_INITIAL_MS, maxDelayMs: e.CLIENT_NOTIFICATION_RETRY_MAX_MS },
      leaseSeconds: e.CLIENT_NOTIFICATION_LEASE_SECONDS,
      expiryGraceSeconds: e.CLIENT_NOTIFICATION_EXPIRY_GRACE_SECONDS,
      pollIntervalMs: e.CLIENT_NOTIFICATION_POLL_MS,
    },
    abuseLimits: {
      maxPendingPerUser: e.AUTH_REQUEST_MAX_PENDING_PER_USER,
      maxPendingPerClientAndUser: e.AUTH_REQUEST_MAX_PENDING_PER_CLIENT_AND_USER,
      prompts: {
        perClientAndUser: {
          budget: e.AUTH_REQUEST_RATE_PER_CLIENT_AND_USER,
          windowSeconds: e.AUTH_REQUEST_RATE_WINDOW_SECONDS,
        },
        backoffAfterDenialSeconds: e.AUTH_REQUEST_DENIAL_BACKOFF_SECONDS,
        notMeBlockSeconds: e.AUTH_REQUEST_NOT_ME_BLOCK_SECONDS,
      },
      maxDevicesPerUser: e.MAX_DEVICES_PER_USER,
      invalidGrants: { budget: e.INVALID_GRANT_BUDGET, windowSeconds: e.INVALID_GRANT_WINDOW_SECONDS },
      failedAuthentications: {
        budget: e.FAILED_AUTHENTICATION_BUDGET,
        windowSeconds: e.FAILED_AUTHENTICATION_WINDOW_SECONDS,
      },
    },
    webAuthn: {
      rpId: e.WEBAUTHN_RP_ID ?? issuerUrl.hostname,
      rpName: e.WEBAUTHN_RP_NAME,
      origins: e.WEBAUTHN_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [issuerUrl.origin],
      enrolmentTtlSeconds: e.ENROLMENT_CODE_TTL_SECONDS,
    },
    webPush: {
      vapidKeys:
        e.WEB_PUSH_VAPID_PUBLIC_KEY && e.WEB_PUSH_VAPID_PRIVATE_KEY
          ? { publicKey: e.WEB_PUSH_VAPID_PUBLIC_KEY, privateKey: e.WEB_PUSH_VAPID_PRIVATE_KEY }
          : null,
      subject:
        e.WEB_PUSH_SUBJECT ??
        (issuerUrl.protocol === 'https:' ? issuerUrl.origin : `mailto:admin@${issuerUrl.hostname}`),
    },
    keycloakChannelUrl: e.KEYCLOAK_CHANNEL_URL ?? null,
    relay: {
      batchSize: e.RELAY_BATCH_SIZE,
      compression: e.RELAY_COMPRESSION,
      maxRequestBytes: e.RELAY_MAX_REQUEST_BYTES,
      createTopics: e.KAFKA_CREATE_TOPICS === 'true',
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: e.KAFKA_TOPIC_REPLICATION_FACTOR,
    },
    clientJwks: { cacheSeconds: e.CLIENT_JWKS_CACHE_SECONDS, minRefetchSeconds: e.CLIENT_JWKS_MIN_REFETCH_SECONDS },
    fapiCiba: e.BACKCHANNEL_FAPI_CIBA === 'true',
    clientCacheSeconds: e.CLIENT_CACHE_SECONDS,
    directoryCacheSeconds: e.DIRECTORY_CACHE_SECONDS,
    metricsPort: e.METRICS_PORT ?? null,
    adminListener,
    retention: {
      operationalDays: e.RETENTION_DAYS,
      deadLetterDays: e.DEAD_LETTER_RETENTION_DAYS,
      intervalMinutes: e.RETENTION_INTERVAL_MINUTES,
    },
    auditCheckpointIntervalMinutes: e.AUDIT_CHECKPOINT_INTERVAL_MINUTES,
    openRegistration: e.OPEN_REGISTRATION === 'true',
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
    mtls: {
      clientCaFile: e.TLS_CLIENT_CA_FILE ?? null,
      certificateHeader: e.MTLS_CLIENT_CERT_HEADER.toLowerCase(),
      endpointBaseUrl: e.MTLS_ENDPOINT_BASE_URL?.replace(/\/+$/, '') ?? null,
      enabled: mtlsEnabled,
    },
    trustedProxies,
  };
}

/** An IPv4 or IPv6 address range in CIDR notation (checked precisely where it is parsed). */
const CIDR = /^[0-9A-Fa-f.:]+\/\d{1,3}$/;

/**
 * Where a service listens without HOST: loopback outside production; in production the public edge
 * on every interface, and the other services on the machine's private address, never a public one
 * (what only the gateway calls must not be reachable from outside, whatever the firewall).
 */
function defaultHost(
  profile: Profile,
  publicEdge: boolean,
  interfaces: () => NetworkInterfaces,
  problems: string[],
  variable = 'HOST',
): string {
  if (profile !== 'production') return '127.0.0.1';
  if (publicEdge) return '0.0.0.0';
  const address = privateAddressOf(interfaces());
  if (address !== null) return address;
  problems.push(
    `${variable}: this listener is for the cluster only, and listens on a private address unless ${variable} is set, ` +
      'but this machine has none (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7): ' +
      `set ${variable} to the address the cluster reaches it at (0.0.0.0: every interface)`,
  );
  return '';
}

/** Production's admin listener when ADMIN_PORT is not set: the admin API is never on the public port there. */
const PRODUCTION_ADMIN_PORT = 3001;

/** The admin listener: like a service only the cluster calls, on a private address by default (ADMIN_HOST). */
function adminListenerOf(
  e: Pick<Environment, 'ADMIN_PORT' | 'ADMIN_HOST' | 'PORT' | 'METRICS_PORT'>,
  profile: Profile,
  privateHost: () => string,
  problems: string[],
): BackchannelConfig['adminListener'] {
  const port = e.ADMIN_PORT ?? (profile === 'production' ? PRODUCTION_ADMIN_PORT : undefined);
  if (port === undefined) return null;
  if (port === e.PORT || port === e.METRICS_PORT)
    problems.push('ADMIN_PORT: a port of its own, not PORT or METRICS_PORT');
  return { host: e.ADMIN_HOST ?? privateHost(), port };
}

/** The relaxations in force, for a loud warning at start (empty in production unless configured). */
export function developmentRelaxations(config: BackchannelConfig): string[] {
  const relaxations: string[] = [];
  if (config.profile !== 'production') {
    relaxations.push(`profile ${config.profile}: development settings are ON; never expose this instance`);
  }
  if (config.issuer.startsWith('http://')) relaxations.push(`plain http issuer ${config.issuer}`);
  if (config.openRegistration) relaxations.push('anyone may register clients at /register (OPEN_REGISTRATION)');
  if (config.upstreamAllowHttp) relaxations.push('upstreams may be plain http (UPSTREAM_ALLOW_HTTP)');
  const { allowHttp, allowedNetworks } = config.clientNotification;
  if (allowHttp) relaxations.push('client notification endpoints may be plain http (CLIENT_NOTIFICATION_ALLOW_HTTP)');
  if (allowedNetworks.length > 0) {
    relaxations.push(
      `client notification endpoints may reach ${allowedNetworks.join(', ')} (CLIENT_NOTIFICATION_ALLOWED_NETWORKS)`,
    );
  }
  return relaxations;
}

/** KAFKA_SSL (with KAFKA_SSL_CA_FILE for a private authority) and KAFKA_SASL_*: all three or none. */
const KAFKA_SECURITY_VARIABLES = {
  KAFKA_SSL: true,
  KAFKA_SSL_CA_FILE: true,
  KAFKA_SASL_MECHANISM: true,
  KAFKA_SASL_USERNAME: true,
  KAFKA_SASL_PASSWORD: true,
} as const;

type Environment = z.infer<typeof environmentSchema>;

/** Some settings alone, read and checked as loadConfig does, for the commands that need no other setting (`ops`). */
function fromEnvironment<Settings, T>(
  parsed: z.ZodSafeParseResult<Settings>,
  read: (e: Settings, problems: string[]) => T,
): T {
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const problems: string[] = [];
  const value = read(parsed.data, problems);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return value;
}

/** The Kafka TLS and SASL settings alone (`ops republish`). */
export function kafkaSecurityFromEnvironment(env: NodeJS.ProcessEnv): KafkaSecurity {
  return fromEnvironment(environmentSchema.pick(KAFKA_SECURITY_VARIABLES).safeParse(env), kafkaSecurity);
}

/** The key-encryption keys alone (`ops checkpoint`, `reseal`, `rotate-signing-key`). */
export function keyEncryptionKeysFromEnvironment(env: NodeJS.ProcessEnv): readonly KeyEncryptionKey[] {
  const variables = { BACKCHANNEL_KEY_ENCRYPTION_KEY: true, BACKCHANNEL_KEY_ENCRYPTION_KEYS: true } as const;
  return fromEnvironment(environmentSchema.pick(variables).safeParse(env), keyEncryptionKeysOf);
}

/** The signing keys' rotation settings alone (`ops rotate-signing-key`). */
export function signingKeyRotationFromEnvironment(env: NodeJS.ProcessEnv): SigningKeyRotation {
  return fromEnvironment(environmentSchema.pick(SIGNING_KEY_ROTATION_VARIABLES).safeParse(env), signingKeyRotation);
}

/**
 * BACKCHANNEL_KEY_ENCRYPTION_KEYS, `kid:key` pairs separated by commas, oldest first: the last key
 * seals, every key opens what names its kid. BACKCHANNEL_KEY_ENCRYPTION_KEY is a ring of one key
 * whose kid is INITIAL_KEY_ENCRYPTION_KEY_ID. Messages name kids and positions, never key material.
 */
function keyEncryptionKeysOf(
  e: Pick<Environment, 'BACKCHANNEL_KEY_ENCRYPTION_KEY' | 'BACKCHANNEL_KEY_ENCRYPTION_KEYS'>,
  problems: string[],
): KeyEncryptionKey[] {
  const decode = (encoded: string) => new Uint8Array(Buffer.from(encoded, 'base64url'));
  if (e.BACKCHANNEL_KEY_ENCRYPTION_KEYS === undefined) {
    if (e.BACKCHANNEL_KEY_ENCRYPTION_KEY !== undefined) {
      return [{ kid: INITIAL_KEY_ENCRYPTION_KEY_ID, key: decode(e.BACKCHANNEL_KEY_ENCRYPTION_KEY) }];
    }
    problems.push(
      'BACKCHANNEL_KEY_ENCRYPTION_KEY: required (32 random bytes, base64url), or a key ring in BACKCHANNEL_KEY_ENCRYPTION_KEYS',
    );
    return [];
  }
  if (e.BACKCHANNEL_KEY_ENCRYPTION_KEY !== undefined) {
    problems.push(
      `BACKCHANNEL_KEY_ENCRYPTION_KEYS: set it or BACKCHANNEL_KEY_ENCRYPTION_KEY, not both (put that key in the ring as ${INITIAL_KEY_ENCRYPTION_KEY_ID}:<key>)`,
    );
    return [];
  }
  const keys: KeyEncryptionKey[] = [];
  const entries = e.BACKCHANNEL_KEY_ENCRYPTION_KEYS.split(',').map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const kid = entry.slice(0, Math.max(separator, 0));
    const encoded = entry.slice(separator + 1);
    if (!KEY_ENCRYPTION_KEY_ID.test(kid)) {
      problems.push(
        `BACKCHANNEL_KEY_ENCRYPTION_KEYS: entry ${index + 1} must be kid:key, the kid of letters, digits and ._- (at most 64)`,
      );
    } else if (!KEY_ENCRYPTION_KEY.test(encoded)) {
      problems.push(`BACKCHANNEL_KEY_ENCRYPTION_KEYS: key '${kid}' ${KEY_ENCRYPTION_KEY_MESSAGE}`);
    } else if (keys.some((key) => key.kid === kid)) {
      problems.push(`BACKCHANNEL_KEY_ENCRYPTION_KEYS: kid '${kid}' is given twice`);
    } else {
      const key = decode(encoded);
      const same = keys.find((other) => Buffer.from(other.key).equals(key));
      if (same) problems.push(`BACKCHANNEL_KEY_ENCRYPTION_KEYS: '${same.kid}' and '${kid}' are the same key`);
      keys.push({ kid, key });
    }
  }
  return keys;
}

const SIGNING_KEY_ROTATION_VARIABLES = {
  SIGNING_KEY_ROTATION_DAYS: true,
  SIGNING_KEY_PUBLISH_LEAD_SECONDS: true,
  ACCESS_TOKEN_TTL_SECONDS: true,
  ID_TOKEN_TTL_SECONDS: true,
  AUTH_REQUEST_MAX_EXPIRY_SECONDS: true,
} as const;

function signingKeyRotation(
  e: Pick<Environment, keyof typeof SIGNING_KEY_ROTATION_VARIABLES>,
  problems: string[],
): SigningKeyRotation {
  if (e.SIGNING_KEY_ROTATION_DAYS > 0 && e.SIGNING_KEY_PUBLISH_LEAD_SECONDS >= e.SIGNING_KEY_ROTATION_DAYS * 86_400) {
    problems.push('SIGNING_KEY_PUBLISH_LEAD_SECONDS: must be shorter than SIGNING_KEY_ROTATION_DAYS');
  }
  return {
    rotationDays: e.SIGNING_KEY_ROTATION_DAYS,
    publishLeadSeconds: e.SIGNING_KEY_PUBLISH_LEAD_SECONDS,
    // the Keycloak-compatible channel's bearer token lives as long as its request
    longestTokenLifetimeSeconds: Math.max(
      e.ACCESS_TOKEN_TTL_SECONDS,
      e.ID_TOKEN_TTL_SECONDS,
      e.AUTH_REQUEST_MAX_EXPIRY_SECONDS,
    ),
  };
}

function kafkaSecurity(e: Pick<Environment, keyof typeof KAFKA_SECURITY_VARIABLES>, problems: string[]): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (e.KAFKA_SSL_CA_FILE !== undefined && e.KAFKA_SSL !== 'true') {
    problems.push('KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true');
  }
  if (e.KAFKA_SSL === 'true') {
    security.ssl = e.KAFKA_SSL_CA_FILE === undefined ? true : { ca: [readCaFile(e.KAFKA_SSL_CA_FILE, problems)] };
  }
  const sasl = [e.KAFKA_SASL_MECHANISM, e.KAFKA_SASL_USERNAME, e.KAFKA_SASL_PASSWORD];
  if (sasl.every((value) => value !== undefined)) {
    security.sasl = {
      mechanism: e.KAFKA_SASL_MECHANISM!,
      username: e.KAFKA_SASL_USERNAME!,
      password: e.KAFKA_SASL_PASSWORD!,
    };
  } else if (sasl.some((value) => value !== undefined)) {
    problems.push('KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: give all three or none');
  }
  return security;
}

function readCaFile(file: string, problems: string[]): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`KAFKA_SSL_CA_FILE: cannot be read (${(error as Error).message})`);
    return '';
  }
}

/**
 * The database of the environment for the commands that need no other setting (`migrate`, `ops`):
 * DATABASE_URL with DATABASE_PASSWORD put in, as the services read it; null without a postgres:// URL.
 */
export function databaseUrlFromEnvironment(env: NodeJS.ProcessEnv): string | null {
  const url = env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) return null;
  return withPassword(url, env.DATABASE_PASSWORD || undefined);
}

/** DATABASE_URL with DATABASE_PASSWORD as its password, when given (percent-encoded: any character may be in it). */
function withPassword(databaseUrl: string, password: string | undefined): string {
  if (password === undefined) return databaseUrl;
  const url = new URL(databaseUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** Every environment variable the configuration reads: what a deployment may set (the Helm chart's test compares). */
export const CONFIGURATION_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);
