import type { DeliveryOutcome } from '@backchannel/delivery';
import type { DeviceChannelName, DeviceChannelSetting, SettingOf } from '@backchannel/device-channels';
import type { AuthRequested } from '@backchannel/events';

/** One device to notify about one request. */
export interface NotificationTarget<Setting extends DeviceChannelSetting = DeviceChannelSetting> {
  deviceId: string;
  setting: Setting;
  /** The request's stream (what callback tokens are bound to). */
  streamId: string;
  request: AuthRequested['data'];
}

/**
 * A way to reach a device; more can be added behind this interface (see DeviceChannels). `send`
 * makes one attempt and reports it: what it means (delivered, retried, given up) is the delivery
 * pipeline's one classification. A channel adds only the refusals its own contract defines.
 */
export interface DeviceChannel<Name extends DeviceChannelName = DeviceChannelName> {
  readonly name: Name;
  send(target: NotificationTarget<SettingOf<Name>>): Promise<DeliveryOutcome>;
}
