import type { Event } from './envelope.js';

/** The newest schema version of each event type this code understands. */
export const CURRENT_SCHEMA_VERSIONS: Readonly<Record<string, number>> = {
  AuthRequested: 1,
  UserNotified: 1,
  ConsentGiven: 1,
  ConsentDenied: 1,
  TokensIssued: 1,
  ClientRegistered: 1,
};

/** Raised for an event no upcaster can bring to a version this code knows (a poison message). */
export class UnknownEventVersionError extends Error {
  constructor(type: string, schemaVersion: number) {
    super(`no upcaster for ${type} v${schemaVersion}`);
    this.name = 'UnknownEventVersionError';
  }
}

type Upcaster = (event: Event) => Event;

/** `${type}@${fromVersion}` -> a function returning the event at fromVersion + 1. None yet. */
const UPCASTERS: Readonly<Record<string, Upcaster>> = {};

/** Brings an event read from the store or Kafka to the current version of its type. */
export function upcast<E extends Event>(event: Event): E {
  let current = event;
  const target = CURRENT_SCHEMA_VERSIONS[current.type];
  if (target === undefined) throw new UnknownEventVersionError(current.type, current.schemaVersion);
  while (current.schemaVersion < target) {
    const step = UPCASTERS[`${current.type}@${current.schemaVersion}`];
    if (!step) throw new UnknownEventVersionError(current.type, current.schemaVersion);
    current = step(current);
  }
  if (current.schemaVersion !== target) throw new UnknownEventVersionError(current.type, current.schemaVersion);
  return current as E;
}
