export * from './open-request-limits.js';
export * from './user-requests.repository.js';
export { UserRequestsModule } from './user-requests.module.js';
export { userRequestsProjection } from './user-requests.projection.js';
