import { type BackchannelConfig, loadConfig } from '@backchannel/config';

/**
 * One fixed key-encryption key for every test: the signing key stored in a database is sealed
 * with the first KEK that used it, so tests sharing a database must share the KEK.
 */
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 'backchannel-test').toString('base64url');

export const TEST_ADMIN_TOKEN = 'test-admin-token-for-backchannel-tests';

export function requireTestEnv(name: 'DATABASE_URL' | 'KAFKA_BROKERS'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts PostgreSQL and Kafka.`);
  return value;
}

/** The configuration of the `test` profile against the test database, with optional overrides. */
export function testConfig(overrides: NodeJS.ProcessEnv = {}): BackchannelConfig {
  return loadConfig({
    BACKCHANNEL_PROFILE: 'test',
    DATABASE_URL: requireTestEnv('DATABASE_URL'),
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    BACKCHANNEL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    BACKCHANNEL_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    // tests share 127.0.0.1 and one database: the limit on failed authentications is tested where it is set low
    FAILED_AUTHENTICATION_BUDGET: '100000',
    ...overrides,
  });
}
