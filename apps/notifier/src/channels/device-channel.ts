import type { AuthRequested } from '@backchannel/events';

/** A browser's Web Push subscription (PushSubscription.toJSON(): RFC 8030 endpoint, RFC 8291 keys). */
export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * How a device is notified, as kept in device_channels (channel + its settings). A device
 * without a row uses the device API: it lists its requests and is sent nothing.
 */
export type DeviceChannelSetting =
  | { channel: 'web-push'; subscription: WebPushSubscription }
  /** `sealedSecret`: the HMAC key, sealed with PayloadSealer to the device id. */
  | { channel: 'webhook'; url: string; sealedSecret: string }
  /** The URL is the deployment's (KEYCLOAK_CHANNEL_URL). */
  | { channel: 'keycloak-http' };

export type DeviceChannelName = DeviceChannelSetting['channel'];

/** The settings of one channel. */
export type SettingOf<Name extends DeviceChannelName> = Extract<DeviceChannelSetting, { channel: Name }>;

/** One device to notify about one request. */
export interface NotificationTarget<Setting extends DeviceChannelSetting = DeviceChannelSetting> {
  deviceId: string;
  setting: Setting;
  /** The request's stream (what sealed values and callback tokens are bound to). */
  streamId: string;
  request: AuthRequested['data'];
}

/**
 * How one attempt ended. `rejected`: the channel refused for good (a 4xx, a gone push
 * subscription); `refused_address`: the egress policy refused the URL or its address;
 * `retryable`: a network error, a timeout, a 5xx: worth another attempt while the request lasts.
 * `detail` is short and never holds a secret.
 */
export type ChannelOutcome =
  | { kind: 'delivered' }
  | { kind: 'rejected'; detail: string }
  | { kind: 'refused_address'; detail: string }
  | { kind: 'retryable'; detail: string };

/** A way to reach a device; more can be added behind this interface (see DeviceChannels). */
export interface DeviceChannel<Name extends DeviceChannelName = DeviceChannelName> {
  readonly name: Name;
  notify(target: NotificationTarget<SettingOf<Name>>): Promise<ChannelOutcome>;
}
