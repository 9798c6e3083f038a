export * from './egress.types.js';
export { EgressPolicyChecker, systemResolver } from './egress-policy.js';
export { EgressHttpClient, type EgressHttpClientOptions } from './egress-http-client.js';
export * from './egress.module.js';
