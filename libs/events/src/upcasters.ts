import type { Event } from './envelope.js';

/** The newest schema version of each event type this code understands. */
export const CURRENT_SCHEMA_VERSIONS: Readonly<Record<string, number>> = {
  AuthRequested: 2,
  UserNotified: 1,
  NotificationFailed: 2,
  ConsentGiven: 2,
  ConsentDenied: 2,
  TokensIssued: 2,
  ClientNotified: 1,
  TokensPushed: 1,
  ClientNotificationFailed: 1,
  ClientRegistered: 1,
  ClientUpdated: 1,
  ClientDeleted: 1,
  ClientDisabled: 1,
  ClientEnabled: 1,
  ClientSecretRotated: 1,
  DeviceRevoked: 1,
  UserDisabled: 1,
  UserEnabled: 1,
  ApiScopeDefined: 1,
  ApiScopeRemoved: 1,
  AuthorizationDetailTypeDefined: 1,
  AuthorizationDetailTypeRemoved: 1,
  UserDeleted: 1,
  PasskeyRevoked: 1,
  UserUpdated: 1,
  UserCodeSet: 1,
  UserCreated: 1,
  EnrolmentIssued: 1,
  DeviceRegistered: 1,
  InitialAccessTokenIssued: 1,
};

/** Raised for an event no upcaster can bring to a version this code knows (a poison message). */
export class UnknownEventVersionError extends Error {
  constructor(type: string, schemaVersion: number) {
    super(`no upcaster for ${type} v${schemaVersion}`);
    this.name = 'UnknownEventVersionError';
  }
}

type Upcaster = (event: Event) => Event;

/** Adds members to `data`, for the common upcast of a new member with a default value. */
function withData(additions: Record<string, unknown>): Upcaster {
  return (event) => ({
    ...event,
    schemaVersion: event.schemaVersion + 1,
    data: { ...(event.data as Record<string, unknown>), ...additions },
  });
}

/** `${type}@${fromVersion}` -> a function returning the event at fromVersion + 1. */
const UPCASTERS: Readonly<Record<string, Upcaster>> = {
  // v1 was written when only poll clients existed: nobody to notify, nothing pushed.
  'AuthRequested@1': withData({ clientNotification: null }),
  'TokensIssued@1': withData({ sealedTokens: null }),
  // v1 consents came from the device API: a device token, no further evidence
  'ConsentGiven@1': withData({ evidence: null }),
  // v1 knew one reason, user_denied, which v2 keeps; v2 only adds reasons
  'ConsentDenied@1': withData({}),
  // v1 had no HTTP status; its reasons (rejected, refused_address, retries_exhausted) are kept in v2
  'NotificationFailed@1': withData({ httpStatus: null }),
};

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
