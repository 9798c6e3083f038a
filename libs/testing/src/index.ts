export * from './decider-specification.js';
export * from './test-config.js';
export * from './https-receiver.js';
