export * from './oauth-errors.js';
