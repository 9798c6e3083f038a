export * from './http-application.factory.js';
export * from './admin-token.guard.js';
export * from './health.controller.js';
export * from './http.module.js';
export * from './service-root.module.js';
export * from './run-service.js';
export * from './oauth-form-request.js';
export { migrationsOf } from './table-owners.js';
export * from './client-certificate.js';
