import { Injectable } from '@nestjs/common';
import type { DeliveryOutcome } from '@backchannel/delivery';
import type { DeviceChannelName } from '@backchannel/device-channels';
import type { DeviceChannel, NotificationTarget } from './device-channel.js';
import { KeycloakHttpChannel } from './keycloak-http/keycloak-http.channel.js';
import { WebPushChannel } from './web-push/web-push.channel.js';
import { WebhookChannel } from './webhook/webhook.channel.js';

/** Every channel, by the name a device's setting gives. A new channel is one more entry. */
@Injectable()
export class DeviceChannels {
  private readonly byName: { [Name in DeviceChannelName]: DeviceChannel<Name> };

  constructor(webPush: WebPushChannel, webhook: WebhookChannel, keycloakHttp: KeycloakHttpChannel) {
    this.byName = { 'web-push': webPush, webhook, 'keycloak-http': keycloakHttp };
  }

  /** Sends the request to the device through the channel its setting names. */
  send(target: NotificationTarget): Promise<DeliveryOutcome> {
    // the setting names the channel, so the target is of the kind that channel takes
    const channel = this.byName[target.setting.channel] as DeviceChannel;
    return channel.send(target);
  }
}
