export * from './attempt-follow-up.js';
export * from './delivery-jobs.repository.js';
export * from './delivery-worker.js';
export { DeliveryModule } from './delivery.module.js';
export * from './auth-request-delivery.js';
