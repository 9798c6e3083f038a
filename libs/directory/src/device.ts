/**
 * The one way a device may answer a request (its answer policy), fixed when it is registered:
 * - device_token: its bearer token at the device API (admin-registered devices: the device API's
 *   own, and webhook devices, which are told by webhook and answer there);
 * - passkey: a WebAuthn assertion in the built-in authenticator (enrolled devices; their bearer
 *   token, which the web app keeps in localStorage, may list requests but never decide);
 * - channel_callback: the Keycloak-compatible channel's callback, with the one-time token it was sent.
 */
export type AnswerDoor = 'device_token' | 'passkey' | 'channel_callback';

/** A device as the admin API lists it. */
export interface ListedDevice {
  deviceId: string;
  name: string;
  answerDoor: AnswerDoor;
  createdAt: string;
}

/** Who revokes, as event metadata names actors. */
export interface LifecycleContext {
  actor: string;
  correlationId: string;
  now: Date;
}

/**
 * How adding a device is recorded (DeviceRegistered): how it will be told of requests, and who
 * added it, given the new device's id (an enrolled device adds itself).
 */
export interface DeviceRegistrationRecord {
  channel: string;
  context: (deviceId: string) => LifecycleContext;
}

/** The metadata of an event that records a lifecycle change. */
export function lifecycleMetadata(context: LifecycleContext): {
  correlationId: string;
  actor: string;
  occurredAt: string;
} {
  return { correlationId: context.correlationId, actor: context.actor, occurredAt: context.now.toISOString() };
}

/** A registered device, as it authenticates. */
export interface Device {
  deviceId: string;
  subject: string;
  answerDoor: AnswerDoor;
}
