export * from './oauth-errors.js';
export * from './error-description.js';
export * from './form-parameters.js';
export * from './scope-parameter.js';
export * from './binding-message.js';
export * from './backchannel-authentication-request.js';
export * from './ciba-token-request.js';
export * from './oauth-exception.filter.js';
