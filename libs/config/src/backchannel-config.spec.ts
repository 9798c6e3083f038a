import {
  ConfigurationError,
  databaseUrlFromEnvironment,
  developmentRelaxations,
  kafkaSecurityFromEnvironment,
  loadConfig,
} from './backchannel-config.js';

const production = {
  BACKCHANNEL_ISSUER: 'https://auth.example.com/',
  DATABASE_URL: 'postgres://backchannel@db/backchannel',
  BACKCHANNEL_ADMIN_TOKEN: 'a'.repeat(43),
  BACKCHANNEL_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
};

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadConfig', () => {
  it('leaves the admin token out where a service has no admin API: null, never a default', () => {
    const { BACKCHANNEL_ADMIN_TOKEN: _none, ...withoutAdminToken } = production;
    expect(loadConfig(withoutAdminToken).adminToken).toBeNull();
  });

  it('loads a production configuration with safe defaults', () => {
    const config = loadConfig(production);
    expect(config.profile).toBe('production');
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.host).toBe('0.0.0.0');
    expect(config.keyEncryptionKey).toHaveLength(32);
    expect(config.authRequest).toEqual({
      defaultExpirySeconds: 300,
      minExpirySeconds: 10,
      maxExpirySeconds: 1800,
      pollIntervalSeconds: 5,
    });
    expect(developmentRelaxations(config)).toEqual([]);
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
    expect(config.host).toBe('127.0.0.1');
    expect(developmentRelaxations(config).join(' ')).toContain('plain http issuer');
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
    });
    const tuned = loadConfig({ ...production, KAFKA_FETCH_MIN_BYTES: '1', KAFKA_FETCH_MAX_WAIT_MS: '0' });
    expect(tuned.consumers.kafkaFetch).toEqual({ minBytes: 1, maxWaitMs: 0 });
    expect(problemsOf({ ...production, KAFKA_FETCH_MAX_WAIT_MS: '60000' })).toContain('KAFKA_FETCH_MAX_WAIT_MS');
  });

  it('reads the TLS listener and mTLS settings: off by default, a header believed only from trusted proxies', () => {
    expect(loadConfig(production).tls).toBeNull();
    expect(loadConfig(production).mtls).toEqual({
      clientCaFile: null,
      certificateHeader: 'ssl-client-cert',
      trustedProxies: [],
      endpointBaseUrl: null,
      enabled: false,
    });
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
      trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
      endpointBaseUrl: 'https://mtls.auth.example.com',
      enabled: true,
    });
    expect(loadConfig({ ...production, TRUSTED_PROXIES: '10.0.0.0/8' }).mtls.enabled).toBe(true);
  });

  it('keeps clients 10 s by default and registration closed unless opened, loudly', () => {
    const config = loadConfig(production);
    expect(config.clientCacheSeconds).toBe(10);
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
    expect(loadConfig({ ...production, BACKCHANNEL_FAPI_CIBA: 'true', TRUSTED_PROXIES: '10.0.0.0/8' }).fapiCiba).toBe(
      true,
    );
    expect(problemsOf({ ...production, BACKCHANNEL_FAPI_CIBA: 'true' })).toContain(
      'BACKCHANNEL_FAPI_CIBA: FAPI-CIBA binds access tokens to client certificates',
    );
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
