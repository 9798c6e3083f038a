import type { Event } from './envelope.js';

/**
 * A user was created in the directory: the names of the claims given, never their values (see
 * UserUpdated).
 */
export type UserCreated = Event<'UserCreated', { subject: string; claims: string[]; createdAt: string }> & {
  schemaVersion: 1;
};

/**
 * A device was added for the user: by an administrator (`channel`: how it is told of requests), or
 * by enrolling in the built-in authenticator (the device itself the actor; `device-api` until it
 * subscribes to Web Push). Never its token or a webhook's secret.
 */
export type DeviceRegistered = Event<
  'DeviceRegistered',
  { subject: string; deviceId: string; deviceName: string; channel: string; registeredAt: string }
> & { schemaVersion: 1 };

/**
 * A user's device was revoked (a lost phone, a passkey removed, or all of the user's devices at
 * once): its device token, its channel and its passkey stop working at once. The directory's
 * tables are the state; this is the record, with the actor in the metadata.
 */
export type DeviceRevoked = Event<
  'DeviceRevoked',
  { subject: string; deviceId: string; deviceName: string; reason: string | null; revokedAt: string }
> & { schemaVersion: 1 };

/** The user was disabled: asked nothing more, their devices refused, their open requests denied, their tokens not accepted. */
export type UserDisabled = Event<'UserDisabled', { subject: string; reason: string | null; disabledAt: string }> & {
  schemaVersion: 1;
};

/** A disabled user was enabled again. */
export type UserEnabled = Event<'UserEnabled', { subject: string; enabledAt: string }> & { schemaVersion: 1 };

/**
 * The user was deleted from the directory: their devices were revoked first (DeviceRevoked each),
 * their open requests end denied (`user_deleted`), their tokens are not accepted, and their sub is
 * never given to another user.
 */
export type UserDeleted = Event<'UserDeleted', { subject: string; deletedAt: string }> & { schemaVersion: 1 };

/**
 * One passkey of a device was revoked: it signs no decision any more; the device stays (its other
 * passkeys, if any, still work; with none left it must enrol again).
 */
export type PasskeyRevoked = Event<
  'PasskeyRevoked',
  { subject: string; deviceId: string; credentialId: string; revokedAt: string }
> & { schemaVersion: 1 };

/**
 * An administrator changed the user's claims: only the names of those that changed, never their
 * values, so the log keeps no personal data that erasure could not reach.
 */
export type UserUpdated = Event<'UserUpdated', { subject: string; claims: string[]; updatedAt: string }> & {
  schemaVersion: 1;
};

/** An administrator set (or replaced) the user's CIBA user code: that it was set, never the code. */
export type UserCodeSet = Event<'UserCodeSet', { subject: string; setAt: string }> & { schemaVersion: 1 };

/**
 * An enrolment code was issued for the user (a device of theirs may enrol in the built-in
 * authenticator with it until `expiresAt`): that it was issued, never the code or its link.
 */
export type EnrolmentIssued = Event<'EnrolmentIssued', { subject: string; expiresAt: string; issuedAt: string }> & {
  schemaVersion: 1;
};

export type UserEvent =
  | UserCreated
  | DeviceRegistered
  | DeviceRevoked
  | UserDisabled
  | UserEnabled
  | UserDeleted
  | PasskeyRevoked
  | UserUpdated
  | UserCodeSet
  | EnrolmentIssued;

const USER_STREAM_PREFIX = 'user-';

/** The stream of one user's lifecycle events. */
export function userStreamId(subject: string): string {
  return `${USER_STREAM_PREFIX}${subject}`;
}

export function isUserStream(streamId: string): boolean {
  return streamId.startsWith(USER_STREAM_PREFIX);
}
