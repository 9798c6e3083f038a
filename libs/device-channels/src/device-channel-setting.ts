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
