export * from './egress.types.js';
