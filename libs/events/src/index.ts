export * from './envelope.js';
export * from './decider.js';
export * from './upcasters.js';
export * from './auth-request.events.js';
export * from './client.events.js';
export * from './user.events.js';
export * from './topics.js';
export * from './timeline.js';
