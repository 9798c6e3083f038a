import type { DeliveryOutcome } from '@backchannel/delivery';
import type { DeviceChannelSetting } from '@backchannel/device-channels';
import { SAMPLE_REQUEST as request } from '@backchannel/testing';
import type { NotificationTarget } from './device-channel.js';
import { DeviceChannels } from './device-channels.js';
import type { KeycloakHttpChannel } from './keycloak-http/keycloak-http.channel.js';
import type { WebPushChannel } from './web-push/web-push.channel.js';
import type { WebhookChannel } from './webhook/webhook.channel.js';

/** A channel that answers with its own name, to see which one was chosen. */
function channelAnswering<Channel>(name: string, seen: NotificationTarget[]): Channel {
  return {
    name,
    send: (target: NotificationTarget) => {
      seen.push(target);
      return Promise.resolve<DeliveryOutcome>({ kind: 'rejected', detail: name });
    },
  } as Channel;
}

describe('DeviceChannels', () => {
  const seen: NotificationTarget[] = [];
  const channels = new DeviceChannels(
    channelAnswering<WebPushChannel>('web-push', seen),
    channelAnswering<WebhookChannel>('webhook', seen),
    channelAnswering<KeycloakHttpChannel>('keycloak-http', seen),
  );

  it.each<DeviceChannelSetting>([
    { channel: 'web-push', subscription: { endpoint: 'https://push.example/1', keys: { p256dh: 'k', auth: 'a' } } },
    { channel: 'webhook', url: 'https://bot.example/hook', sealedSecret: 'sealed' },
    { channel: 'keycloak-http' },
  ])('sends through the channel the device setting names: $channel', async (setting) => {
    const target: NotificationTarget = { deviceId: 'dev_1', setting, streamId: 'auth-request-1', request };

    await expect(channels.send(target)).resolves.toEqual({ kind: 'rejected', detail: setting.channel });
    expect(seen.at(-1)).toBe(target);
  });
});
