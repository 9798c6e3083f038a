export * from './event-store.js';
export { ALL_MIGRATIONS, createDataSource, runMigrations, type DataSourceSettings } from './postgres.data-source.js';
export { PostgresEventStore } from './postgres-event-store.js';
export { handleCommand, type CommandResult, type HandleCommandOptions } from './handle-command.js';
export { type ChainVerification, type EventHashInput, canonicalJson, eventHash, verifyChain } from './hash-chain.js';
export { EventStoreModule, type EventStoreModuleOptions } from './event-store.module.js';
