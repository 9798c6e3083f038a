export * from './decider-specification.js';
export * from './test-config.js';
export * from './https-receiver.js';
export * from './feature-testing-module.js';
export * from './requested-authentication.sample.js';
export * from './recorded-request.js';
export * from './client-keys.fixture.js';
export * from './test-pki.js';
