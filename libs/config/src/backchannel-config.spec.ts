import {
  ConfigurationError,
  databaseUrlFromEnvironment,
  developmentRelaxations,
  INITIAL_KEY_ENCRYPTION_KEY_ID,
  kafkaSecurityFromEnvironment,
  keyEncryptionKeysFromEnvironment,
  loadConfig,
  signingKeyRotationFromEnvironment,
} from './backchannel-config.js';
import type { NetworkInterfaces } from './private-address.js';
import type { Secret } from './service-secrets.js';

const production = {
  BACKCHANNEL_ISSUER: 'https://auth.example.com/',
  DATABASE_URL: 'postgres://backchannel@db/backchannel',
  BACKCHANNEL_ADMIN_TOKEN: 'a'.repeat(43),
  BACKCHANNEL_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
  // without it, an inner service's default depends on this machine's interfaces (tested below)
  HOST: '10.0.0.4',
};

function problemsOf(env: NodeJS.ProcessEnv, needs?: readonly Secret[], more: { publicEdge?: boolean } = {}): string {
  try {
    loadConfig(env, { needs, ...more });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadConfig', () => {
  it('leaves the admin token out where a service has no admin API: null, never a default', () => {
    const { BACKCHANNEL_ADMIN_TOKEN: _none, ...withoutAdminToken } = production;
    expect(loadConfig(withoutAdminToken, { needs: ['keyEncryptionKeys'] }).adminToken).toBeNull();
  });

  it('requires the secrets a service needs, naming the variable', () => {
    const { BACKCHANNEL_ADMIN_TOKEN: _token, BACKCHANNEL_KEY_ENCRYPTION_KEY: _kek, ...withoutSecrets } = production;
    expect(problemsOf(withoutSecrets, ['adminToken'])).toContain('BACKCHANNEL_ADMIN_TOKEN: required by this service');
    expect(problemsOf(withoutSecrets, ['keyEncryptionKeys'])).toContain('BACKCHANNEL_KEY_ENCRYPTION_KEY: required');
    expect(problemsOf(withoutSecrets)).toContain('BACKCHANNEL_ADMIN_TOKEN');
  });

  it('ignores, unread and unchecked, the secrets a service does not need, and names them', () => {
    const config = loadConfig(
      { ...production, BACKCHANNEL_KEY_ENCRYPTION_KEYS: 'not:a-key' },
      { needs: ['adminToken'] },
    );
    expect(config.keyEncryptionKeys).toEqual([]);
    expect(config.adminToken).toBe(production.BACKCHANNEL_ADMIN_TOKEN);
    expect(config.ignoredSecrets).toEqual(['BACKCHANNEL_KEY_ENCRYPTION_KEY', 'BACKCHANNEL_KEY_ENCRYPTION_KEYS']);
    expect(loadConfig(production, { needs: ['keyEncryptionKeys'] })).toMatchObject({
      adminToken: null,
      ignoredSecrets: ['BACKCHANNEL_ADMIN_TOKEN'],
    });
    expect(loadConfig(production).ignoredSecrets).toEqual([]);
  });

  it('loads a production configuration with safe defaults', () => {
    const config = loadConfig(production);
    expect(config.profile).toBe('production');
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.keyEncryptionKeys).toEqual([
      { kid: INITIAL_KEY_ENCRYPTION_KEY_ID, key: new Uint8Array(Buffer.alloc(32, 7)) },
    ]);
    expect(config.signingKeys).toEqual({
      rotationDays: 30,
      publishLeadSeconds: 3600,
      longestTokenLifetimeSeconds: 1800,
    });
    expect(config.authRequest).toEqual({
      defaultExpirySeconds: 300,
      minExpirySeconds: 10,
      maxExpirySeconds: 1800,
      pollIntervalSeconds: 5,
    });
    expect(developmentRelaxations(config)).toEqual([]);
  });

  it('gives the admin API a listener of its own in production, and on request elsewhere', () => {
    const { HOST: _host, ...withoutHost } = production;
    const cluster = () => ({
      eth0: [{ address: '10.0.0.9', family: 'IPv4' as const, internal: false, netmask: '', mac: '', cidr: null }],
    });
    // the public port on every interface, the admin listener on the private address only
    expect(loadConfig(withoutHost, { publicEdge: true }, cluster)).toMatchObject({
      host: '0.0.0.0',
      adminListener: { host: '10.0.0.9', port: 3001 },
    });
    expect(loadConfig(withoutHost, { publicEdge: false }, cluster).adminListener).toBeNull();
    const edge = { publicEdge: true };
    expect(loadConfig({ ...production, ADMIN_PORT: '8081', ADMIN_HOST: '10.0.0.5' }, edge).adminListener).toEqual({
      host: '10.0.0.5',
      port: 8081,
    });
    const embedded = { ...withoutHost, BACKCHANNEL_PROFILE: 'embedded' };
    expect(loadConfig(embedded, edge).adminListener).toBeNull();
    expect(loadConfig({ ...embedded, ADMIN_PORT: '3001' }, edge).adminListener).toEqual({
      host: '127.0.0.1',
      port: 3001,
    });
    expect(problemsOf({ ...production, ADMIN_PORT: '3000' }, undefined, edge)).toContain(
      'ADMIN_PORT: a port of its own',
    );
    expect(problemsOf({ ...production, ADMIN_PORT: '9464', METRICS_PORT: '9464' }, undefined, edge)).toContain(
      'ADMIN_PORT',
    );
  });

  it('requires an https issuer in production', () => {
    expect(problemsOf({ ...production, BACKCHANNEL_ISSUER: 'http://auth.example.com' })).toContain(
      'BACKCHANNEL_ISSUER: must be https',
    );
    expect(problemsOf({ ...production, BACKCHANNEL_ISSUER: undefined })).toContain('BACKCHANNEL_ISSUER: required');
  });

  it('allows a plain http issuer in the embedded profile, and says so', () => {
    const config = loadConfig({ ...production, BACKCHANNEL_ISSUER: undefined, BACKCHANNEL_PROFILE: 'embedded' });
    expect(config.issuer).toBe('http://localhost:3000');
    expect(developmentRelaxations(config).join(' ')).toContain('plain http issuer');
  });

  describe('the listen address (HOST)', () => {
    const { HOST: _host, ...withoutHost } = production;
    const machine =
      (...addresses: string[]): (() => NetworkInterfaces) =>
      () => ({
        lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '', cidr: null }],
        eth0: addresses.map((address) => ({
          address,
          family: address.includes(':') ? 'IPv6' : 'IPv4',
          internal: false,
          netmask: '',
          mac: '',
          cidr: null,
          ...(address.includes(':') && { scopeid: 0 }),
        })) as NetworkInterfaces[string],
      });
    const publicOnly = machine('203.0.113.7', '2001:db8::7');

    it('listens on every interface at the public edge in production, and on loopback outside production', () => {
      expect(loadConfig({ ...withoutHost, ADMIN_HOST: '0.0.0.0' }, { publicEdge: true }, publicOnly).host).toBe(
        '0.0.0.0',
      );
      for (const profile of ['embedded', 'test']) {
        const relaxed = { ...withoutHost, BACKCHANNEL_PROFILE: profile };
        expect(loadConfig(relaxed, { publicEdge: true }, publicOnly).host).toBe('127.0.0.1');
        expect(loadConfig(relaxed, { publicEdge: false }, publicOnly).host).toBe('127.0.0.1');
      }
    });

    it("listens on the machine's private address in production where only the other services call", () => {
      expect(loadConfig(withoutHost, {}, machine('203.0.113.7', '10.1.2.3')).host).toBe('10.1.2.3');
      expect(loadConfig(withoutHost, {}, machine('203.0.113.7', 'fd12:3456::9')).host).toBe('fd12:3456::9');
      // the gateway's admin listener too: the cluster calls it, not the internet
      const gateway = loadConfig(withoutHost, { publicEdge: true }, machine('203.0.113.7', '10.1.2.3'));
      expect(gateway.adminListener).toEqual({ host: '10.1.2.3', port: 3001 });
    });

    it('refuses to start such a service on a machine without a private address, unless HOST is set', () => {
      expect(() => loadConfig(withoutHost, { publicEdge: false }, publicOnly)).toThrow(
        /HOST: this listener is for the cluster only.*set HOST to the address the cluster reaches it at/,
      );
      expect(() => loadConfig(withoutHost, { publicEdge: true }, publicOnly)).toThrow(/ADMIN_HOST: this listener/);
      expect(loadConfig({ ...withoutHost, HOST: '0.0.0.0' }, {}, publicOnly).host).toBe('0.0.0.0');
      expect(loadConfig({ ...withoutHost, HOST: '203.0.113.7' }, { publicEdge: true }).host).toBe('203.0.113.7');
    });
  });

  it('names each missing or malformed variable', () => {
    const message = problemsOf({ BACKCHANNEL_ADMIN_TOKEN: 'short', BACKCHANNEL_KEY_ENCRYPTION_KEY: 'x' });
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('BACKCHANNEL_ADMIN_TOKEN: must be at least 32 characters');
    expect(message).toContain('BACKCHANNEL_KEY_ENCRYPTION_KEY');
  });

  it('rejects an inconsistent expiry range', () => {
    expect(
      problemsOf({ ...production, AUTH_REQUEST_MIN_EXPIRY_SECONDS: '900', AUTH_REQUEST_MAX_EXPIRY_SECONDS: '60' }),
    ).toContain('AUTH_REQUEST_MIN_EXPIRY_SECONDS');
  });

  it('times requests out deliberately, and refuses a header timeout longer than the request timeout', () => {
    expect(loadConfig(production).httpTimeouts).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000 });
    expect(
      loadConfig({ ...production, HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '2000' }).httpTimeouts,
    ).toMatchObject({ headersMs: 2_000, requestMs: 5_000 });
    expect(problemsOf({ ...production, HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toContain(
      'HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS',
    );
    expect(problemsOf({ ...production, HTTP_REQUEST_TIMEOUT_MS: '0' })).toContain('HTTP_REQUEST_TIMEOUT_MS');
  });

  it('answers a retried redemption for 60 s by default, never past the access token lifetime', () => {
    expect(loadConfig(production).tokenRetryWindowSeconds).toBe(60);
    expect(loadConfig({ ...production, TOKEN_RETRY_WINDOW_SECONDS: '0' }).tokenRetryWindowSeconds).toBe(0);
    expect(problemsOf({ ...production, TOKEN_RETRY_WINDOW_SECONDS: '60', ACCESS_TOKEN_TTL_SECONDS: '60' })).toContain(
      'TOKEN_RETRY_WINDOW_SECONDS: must be shorter than ACCESS_TOKEN_TTL_SECONDS',
    );
  });

  it('splits the broker list', () => {
    expect(loadConfig({ ...production, KAFKA_BROKERS: 'a:9092, b:9092' }).kafkaBrokers).toEqual(['a:9092', 'b:9092']);
  });

  it('reads the relay settings, with the measured defaults', () => {
    const topics = { createTopics: true, partitions: 3, replicationFactor: 1 };
    expect(loadConfig(production).relay).toEqual({
      batchSize: 500,
      compression: 'none',
      maxRequestBytes: 524_288,
      ...topics,
    });
    expect(
      loadConfig({
        ...production,
        RELAY_BATCH_SIZE: '2000',
        RELAY_COMPRESSION: 'gzip',
        RELAY_MAX_REQUEST_BYTES: '65536',
        KAFKA_CREATE_TOPICS: 'false',
        KAFKA_TOPIC_PARTITIONS: '12',
        KAFKA_TOPIC_REPLICATION_FACTOR: '3',
      }).relay,
    ).toEqual({
      batchSize: 2000,
      compression: 'gzip',
      maxRequestBytes: 65_536,
      createTopics: false,
      partitions: 12,
      replicationFactor: 3,
    });
    expect(problemsOf({ ...production, RELAY_COMPRESSION: 'lz4' })).toContain('RELAY_COMPRESSION');
  });

  it('reads how the Kafka clients connect: plaintext by default, TLS with an optional authority, SASL all or nothing', () => {
    expect(loadConfig(production).kafkaSecurity).toEqual({});
    expect(
      loadConfig({
        ...production,
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'backchannel',
        KAFKA_SASL_PASSWORD: 'secret',
      }).kafkaSecurity,
    ).toEqual({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'backchannel', password: 'secret' } });
    expect(problemsOf({ ...production, KAFKA_SASL_USERNAME: 'backchannel' })).toContain('give all three or none');
    // the same rules for a command that reads nothing else (ops republish)
    expect(kafkaSecurityFromEnvironment({ KAFKA_SSL: 'true' })).toEqual({ ssl: true });
    expect(() => kafkaSecurityFromEnvironment({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow('give all three or none');
    expect(problemsOf({ ...production, KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem' })).toContain('needs KAFKA_SSL=true');
    expect(problemsOf({ ...production, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/no/such/ca.pem' })).toContain(
      'KAFKA_SSL_CA_FILE: cannot be read',
    );
  });

  it('puts DATABASE_PASSWORD into DATABASE_URL, encoded, for deployments that keep it in a secret', () => {
    const config = loadConfig({
      ...production,
      DATABASE_URL: 'postgres://backchannel@db:5432/backchannel?sslmode=require',
      DATABASE_PASSWORD: 'p@ss:w/rd#1',
    });
    expect(config.databaseUrl).toBe('postgres://backchannel:p%40ss%3Aw%2Frd%231@db:5432/backchannel?sslmode=require');
    expect(decodeURIComponent(new URL(config.databaseUrl).password)).toBe('p@ss:w/rd#1');
  });

  it('gives the commands without other settings (migrate, ops) the same database URL, password included', () => {
    const url = 'postgres://backchannel@db:5432/backchannel';
    expect(databaseUrlFromEnvironment({ DATABASE_URL: url, DATABASE_PASSWORD: 'a b' })).toBe(
      'postgres://backchannel:a%20b@db:5432/backchannel',
    );
    expect(databaseUrlFromEnvironment({ DATABASE_URL: url })).toBe(url);
    expect(databaseUrlFromEnvironment({ DATABASE_URL: 'mysql://db' })).toBeNull();
    expect(databaseUrlFromEnvironment({})).toBeNull();
  });

  it('reads the consumer settings, with the measured defaults', () => {
    expect(loadConfig(production).consumers).toEqual({
      streamLanes: 8,
      partitionsConsumedConcurrently: 3,
      kafkaFetch: { minBytes: 16_384, maxWaitMs: 20 },
      kafkaGroup: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000 },
    });
    const tuned = loadConfig({ ...production, KAFKA_FETCH_MIN_BYTES: '1', KAFKA_FETCH_MAX_WAIT_MS: '0' });
    expect(tuned.consumers.kafkaFetch).toEqual({ minBytes: 1, maxWaitMs: 0 });
    expect(problemsOf({ ...production, KAFKA_FETCH_MAX_WAIT_MS: '60000' })).toContain('KAFKA_FETCH_MAX_WAIT_MS');
  });

  it('times a Kafka consumer group for recovery in seconds, heartbeating at least three times a session', () => {
    const group = {
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '500',
      KAFKA_REBALANCE_TIMEOUT_MS: '8000',
    };
    expect(loadConfig({ ...production, ...group }).consumers.kafkaGroup).toEqual({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 8_000,
    });
    expect(
      problemsOf({ ...production, KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '3000' }),
    ).toContain('KAFKA_HEARTBEAT_INTERVAL_MS: must be at most a third of KAFKA_SESSION_TIMEOUT_MS');
  });

  it('reads the TLS listener and mTLS settings: off by default, a header believed only from trusted proxies', () => {
    expect(loadConfig(production).tls).toBeNull();
    expect(loadConfig(production).mtls).toEqual({
      clientCaFile: null,
      certificateHeader: 'ssl-client-cert',
      endpointBaseUrl: null,
      enabled: false,
    });
    expect(loadConfig(production).trustedProxies).toEqual([]);
    const configured = loadConfig({
      ...production,
      TLS_CERT_FILE: '/tls/server.pem',
      TLS_KEY_FILE: '/tls/server-key.pem',
      TLS_CLIENT_CA_FILE: '/tls/clients-ca.pem',
      MTLS_CLIENT_CERT_HEADER: 'X-Client-Cert',
      TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8',
      MTLS_ENDPOINT_BASE_URL: 'https://mtls.auth.example.com/',
    });
    expect(configured.tls).toEqual({ certFile: '/tls/server.pem', keyFile: '/tls/server-key.pem' });
    expect(configured.mtls).toEqual({
      clientCaFile: '/tls/clients-ca.pem',
      certificateHeader: 'x-client-cert',
      endpointBaseUrl: 'https://mtls.auth.example.com',
      enabled: true,
    });
    expect(configured.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  it('believes trusted proxies for the client address without turning mTLS on, unless MTLS_ENABLED', () => {
    const behindProxies = loadConfig({ ...production, TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(behindProxies.trustedProxies).toEqual(['10.0.0.0/8']);
    expect(behindProxies.mtls.enabled).toBe(false);
    expect(loadConfig({ ...production, TRUSTED_PROXIES: '10.0.0.0/8', MTLS_ENABLED: 'true' }).mtls.enabled).toBe(true);
    expect(problemsOf({ ...production, MTLS_ENABLED: 'true' })).toContain(
      'MTLS_ENABLED: client certificates reach this process over its own TLS listener (TLS_CERT_FILE) or from a proxy in TRUSTED_PROXIES',
    );
    const ownListener = { ...production, TLS_CERT_FILE: '/tls/server.pem', TLS_KEY_FILE: '/tls/server-key.pem' };
    expect(loadConfig({ ...ownListener, MTLS_ENABLED: 'false' }).mtls.enabled).toBe(false);
  });

  it('limits failed authentications per address: 20 in 5 minutes unless set', () => {
    expect(loadConfig(production).abuseLimits.failedAuthentications).toEqual({ budget: 20, windowSeconds: 300 });
    const set = { ...production, FAILED_AUTHENTICATION_BUDGET: '5', FAILED_AUTHENTICATION_WINDOW_SECONDS: '60' };
    expect(loadConfig(set).abuseLimits.failedAuthentications).toEqual({ budget: 5, windowSeconds: 60 });
    expect(problemsOf({ ...production, FAILED_AUTHENTICATION_BUDGET: '0' })).toContain('FAILED_AUTHENTICATION_BUDGET');
    expect(problemsOf({ ...production, FAILED_AUTHENTICATION_WINDOW_SECONDS: '86401' })).toContain(
      'FAILED_AUTHENTICATION_WINDOW_SECONDS',
    );
  });

  it('keeps clients 10 s by default and registration closed unless opened, loudly', () => {
    const config = loadConfig(production);
    expect(config.clientCacheSeconds).toBe(10);
    expect(config.directoryCacheSeconds).toBe(10);
    expect(config.metricsPort).toBeNull();
    expect(config.retention).toEqual({ operationalDays: 7, deadLetterDays: 30, intervalMinutes: 60 });
    expect(config.auditCheckpointIntervalMinutes).toBe(60);
    expect(loadConfig({ ...production, METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(config.openRegistration).toBe(false);
    const open = loadConfig({ ...production, OPEN_REGISTRATION: 'true' });
    expect(developmentRelaxations(open)).toContain('anyone may register clients at /register (OPEN_REGISTRATION)');
  });

  it('turns the FAPI-CIBA profile on only where client certificates can reach the server', () => {
    expect(loadConfig(production).fapiCiba).toBe(false);
    const behindProxy = { ...production, TRUSTED_PROXIES: '10.0.0.0/8', MTLS_ENABLED: 'true' };
    expect(loadConfig({ ...behindProxy, BACKCHANNEL_FAPI_CIBA: 'true' }).fapiCiba).toBe(true);
    expect(problemsOf({ ...production, TRUSTED_PROXIES: '10.0.0.0/8', BACKCHANNEL_FAPI_CIBA: 'true' })).toContain(
      'BACKCHANNEL_FAPI_CIBA: FAPI-CIBA binds access tokens to client certificates',
    );
    expect(problemsOf({ ...production, BACKCHANNEL_FAPI_CIBA: 'true' })).toContain(
      'BACKCHANNEL_FAPI_CIBA: FAPI-CIBA binds access tokens to client certificates',
    );
  });

  it('refuses plain-http upstreams in production where the service calls them, unless allowed, loudly', () => {
    const gateway = { callsUpstreams: true };
    const https = {
      BACKCHANNEL_URL: 'https://backchannel.internal',
      TOKEN_URL: 'https://token.internal',
      APPROVALS_URL: 'https://approvals.internal',
    };
    expect(loadConfig({ ...production, ...https }, gateway).upstreamAllowHttp).toBe(false);
    const plainToken = { ...production, ...https, TOKEN_URL: 'http://token.internal' };
    expect(() => loadConfig(plainToken, gateway)).toThrow(
      'TOKEN_URL: must be https in production (UPSTREAM_ALLOW_HTTP=true where the network protects it)',
    );
    expect(() => loadConfig(production, gateway)).toThrow(/BACKCHANNEL_URL.*\n.*TOKEN_URL.*\n.*APPROVALS_URL/);
    const allowed = loadConfig({ ...plainToken, UPSTREAM_ALLOW_HTTP: 'true' }, gateway);
    expect(developmentRelaxations(allowed)).toEqual(['upstreams may be plain http (UPSTREAM_ALLOW_HTTP)']);
    // the other services read the URLs but never call them
    expect(loadConfig({ ...plainToken, UPSTREAM_ALLOW_HTTP: 'true' }).upstreamAllowHttp).toBe(false);
    expect(developmentRelaxations(loadConfig(plainToken))).toEqual([]);
    const test = loadConfig({ ...production, BACKCHANNEL_PROFILE: 'test' }, gateway);
    expect(test.upstreamAllowHttp).toBe(true);
  });

  it('refuses half a TLS key pair, a proxy that is not a range, and a plain-http mTLS alias in production', () => {
    expect(problemsOf({ ...production, TLS_CERT_FILE: '/tls/server.pem' })).toContain(
      'TLS_CERT_FILE: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither',
    );
    expect(problemsOf({ ...production, TRUSTED_PROXIES: 'proxy.local' })).toContain(
      "TRUSTED_PROXIES: 'proxy.local' is not an address range",
    );
    expect(problemsOf({ ...production, MTLS_ENDPOINT_BASE_URL: 'http://mtls.example.com' })).toContain(
      'MTLS_ENDPOINT_BASE_URL: must be https in production',
    );
    expect(problemsOf({ ...production, MTLS_CLIENT_CERT_HEADER: 'x client cert' })).toContain(
      'MTLS_CLIENT_CERT_HEADER',
    );
  });
});

describe('the key-encryption key ring', () => {
  const { BACKCHANNEL_KEY_ENCRYPTION_KEY: _single, ...withoutKey } = production;
  const encoded = (fill: number) => Buffer.alloc(32, fill).toString('base64url');
  const ring = (value: string) => ({ ...withoutKey, BACKCHANNEL_KEY_ENCRYPTION_KEYS: value });

  it('reads kid:key pairs in their order, oldest first: the last one seals', () => {
    const { keyEncryptionKeys } = loadConfig(ring(`initial:${encoded(1)}, 2026-01:${encoded(2)}`));

    expect(keyEncryptionKeys).toEqual([
      { kid: 'initial', key: new Uint8Array(Buffer.alloc(32, 1)) },
      { kid: '2026-01', key: new Uint8Array(Buffer.alloc(32, 2)) },
    ]);
  });

  it('takes a single BACKCHANNEL_KEY_ENCRYPTION_KEY as a ring of one, under the initial kid', () => {
    expect(keyEncryptionKeysFromEnvironment({ BACKCHANNEL_KEY_ENCRYPTION_KEY: encoded(3) })).toEqual([
      { kid: INITIAL_KEY_ENCRYPTION_KEY_ID, key: new Uint8Array(Buffer.alloc(32, 3)) },
    ]);
  });

  it('requires one of the two variables, and not both', () => {
    expect(problemsOf(withoutKey)).toContain('BACKCHANNEL_KEY_ENCRYPTION_KEY: required');
    expect(problemsOf({ ...production, BACKCHANNEL_KEY_ENCRYPTION_KEYS: `a:${encoded(1)}` })).toContain(
      'BACKCHANNEL_KEY_ENCRYPTION_KEYS: set it or BACKCHANNEL_KEY_ENCRYPTION_KEY, not both',
    );
  });

  it('names each malformed entry by its kid or position, never echoing key material', () => {
    const secret = encoded(9);
    const message = problemsOf(
      ring(`a:${encoded(1)},${secret},b:short,a:${encoded(4)},c:${encoded(1)},bad kid:${encoded(5)}`),
    );

    expect(message).toContain('entry 2 must be kid:key');
    expect(message).toContain("key 'b' must be 32 random bytes");
    expect(message).toContain("kid 'a' is given twice");
    expect(message).toContain("'a' and 'c' are the same key");
    expect(message).toContain('entry 6 must be kid:key');
    expect(message).not.toContain(secret);
    expect(message).not.toContain(encoded(1));
  });

  it('refuses an empty ring', () => {
    expect(problemsOf(ring(''))).toContain('entry 1 must be kid:key');
  });
});

describe('signing key rotation', () => {
  it('keeps a superseded key as long as the longest-lived token: access token, ID token or a request', () => {
    expect(
      signingKeyRotationFromEnvironment({
        SIGNING_KEY_ROTATION_DAYS: '7',
        SIGNING_KEY_PUBLISH_LEAD_SECONDS: '900',
        ACCESS_TOKEN_TTL_SECONDS: '3600',
      }),
    ).toEqual({ rotationDays: 7, publishLeadSeconds: 900, longestTokenLifetimeSeconds: 3600 });
  });

  it('allows scheduled rotation off (0 days), the command still rotating', () => {
    expect(loadConfig({ ...production, SIGNING_KEY_ROTATION_DAYS: '0' }).signingKeys.rotationDays).toBe(0);
  });

  it('publishes a next key for at least twice the JWKS max-age, and less than a rotation period', () => {
    expect(problemsOf({ ...production, SIGNING_KEY_PUBLISH_LEAD_SECONDS: '60' })).toContain(
      'SIGNING_KEY_PUBLISH_LEAD_SECONDS',
    );
    expect(
      problemsOf({ ...production, SIGNING_KEY_ROTATION_DAYS: '1', SIGNING_KEY_PUBLISH_LEAD_SECONDS: '86400' }),
    ).toContain('SIGNING_KEY_PUBLISH_LEAD_SECONDS: must be shorter than SIGNING_KEY_ROTATION_DAYS');
  });
});
