export * from './event-store.js';
export {
  EVENT_STORE_MIGRATIONS,
  createDataSource,
  runMigrations,
  type DataSourceSettings,
  type Migration,
} from './postgres.data-source.js';
export { PostgresEventStore } from './postgres-event-store.js';
export {
  decideOnLatest,
  handleCommand,
  readStreamState,
  type CommandResult,
  type HandleCommandOptions,
  type StreamState,
} from './handle-command.js';
export {
  type ChainBreak,
  type ChainVerification,
  type EventHashInput,
  ChainVerifier,
  canonicalJson,
  eventHash,
  verifyChain,
} from './hash-chain.js';
export {
  type ProjectedEvent,
  readStoredEventsAfter,
  readStoredEventsBetween,
  readStoredStream,
} from './events.table.js';
export { CacheInvalidation, type InvalidatedCache } from './cache-invalidation.js';
export { KeptAnswers } from './kept-answers.js';
export { EventStoreModule, type EventStoreModuleOptions } from './event-store.module.js';
export {
  type PreparedStatement,
  type RunSql,
  type Statement,
  databaseErrorOf,
  poolSql,
  prepared,
  queryRunnerSql,
} from './sql.js';
export { type AlongsideWrites, alongsideStatement } from './alongside-writes.js';
export * from './audit-checkpoints.js';
export * from './retention.js';
export { type RebuildableProjection, type RebuildReport, rebuildProjection } from './projection-rebuild.js';
