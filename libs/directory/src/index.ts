export * from './device.js';
export * from './user.js';
export type { PostalAddress, ProfileClaims } from './profile-claims.js';
export * from './directory-errors.js';
export * from './user-directory.service.js';
export * from './device-registry.service.js';
export * from './directory.module.js';
export * from './user-codes.service.js';
export * from './userinfo-claims.js';
