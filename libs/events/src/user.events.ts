import type { Event } from './envelope.js';

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

export type UserEvent = DeviceRevoked | UserDisabled | UserEnabled;

const USER_STREAM_PREFIX = 'user-';

/** The stream of one user's lifecycle events. */
export function userStreamId(subject: string): string {
  return `${USER_STREAM_PREFIX}${subject}`;
}

export function isUserStream(streamId: string): boolean {
  return streamId.startsWith(USER_STREAM_PREFIX);
}
