export * from './auth-request.facts.js';
export * from './auth-request.decisions.js';
export * from './auth-request.decider.js';
export * from './authentication-context.js';
