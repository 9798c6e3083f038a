export type { JWK, JWTPayload } from 'jose';
export * from './opaque-token.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKey } from './signing-key.js';
export * from './signing-keys.service.js';
export * from './token-signer.service.js';
export * from './token-hash.js';
export * from './payload-sealer.service.js';
export * from './jwt-verification.js';
export * from './crypto.module.js';
