import { Module } from '@nestjs/common';
import { DeviceChannelsModule } from '@backchannel/device-channels';
import { DirectoryModule } from '@backchannel/directory';
import { EgressModule } from '@backchannel/egress';
import { DeviceChannels } from './device-channels.js';
import { KeycloakHttpChannel } from './keycloak-http/keycloak-http.channel.js';
import { WebPushChannel } from './web-push/web-push.channel.js';
import { WebhookChannel } from './webhook/webhook.channel.js';

/** The channels that reach devices (Web Push, webhook, Keycloak-compatible), behind DeviceChannels. */
@Module({
  imports: [DeviceChannelsModule, DirectoryModule, EgressModule],
  providers: [WebPushChannel, WebhookChannel, KeycloakHttpChannel, DeviceChannels],
  exports: [DeviceChannels],
})
export class ChannelsModule {}
