export * from './registered-client.js';
export { CLIENT_SIGNING_ALGORITHMS } from './client-keys.js';
export { CERTIFICATE_AUTH_METHODS, TrustedClientCas, certificateThumbprint } from './client-certificate.js';
export {
  ASSERTION_ALGORITHMS,
  supportedAuthMethods,
  type RegistrationOptions,
  SUPPORTED_DELIVERY_MODES,
  validateClientMetadata,
  validateClientRegistration,
} from './client-metadata.js';
export {
  CLIENT_AUTHENTICATION_FAILED,
  JWT_BEARER_ASSERTION_TYPE,
  parseClientCredentials,
  type ClientCredentials,
} from './client-credentials.js';
export * from './client-registry.service.js';
export * from './client-authenticator.service.js';
export * from './clients.module.js';
export * from './signed-authentication-request.js';
export { SpentClientJwts, type ClientJwtKind } from './spent-client-jwts.js';
export { ClientKeySets, ClientKeysUnavailable } from './client-key-sets.js';
export {
  FAPI_CIBA_ALGORITHMS,
  FAPI_CIBA_AUTH_METHODS,
  clientSigningAlgorithms,
  followsFapiCiba,
} from './fapi-ciba-profile.js';
export { CLIENT_JWT_CLOCK_TOLERANCE_SECONDS } from './client-signed-jwt.js';
export * from './initial-access-tokens.js';
