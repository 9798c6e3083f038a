export * from './backchannel-config.js';
export * from './config.module.js';
export type { NetworkInterfaces } from './private-address.js';
export * from './public-endpoints.js';
export * from './service-secrets.js';
