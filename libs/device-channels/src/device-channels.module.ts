import { Module } from '@nestjs/common';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { ChannelCallbackTokens } from './channel-callback-tokens.repository.js';
import { DeviceChannelsRepository } from './device-channels.repository.js';
import { CreateDeviceChannels1763700000600 } from './migrations/1763700000600-create-device-channels.js';
import { VapidKeys } from './vapid-keys.service.js';

/**
 * How devices are reached, shared by the service that registers them (approvals: the admin API,
 * the authenticator's push subscription, the channel callback) and the one that sends to them
 * (the notifier). Needs the DataSource, the configuration and PayloadSealer (CryptoModule).
 */
@Module({
  providers: [DeviceChannelsRepository, VapidKeys, ChannelCallbackTokens],
  exports: [DeviceChannelsRepository, VapidKeys, ChannelCallbackTokens],
})
export class DeviceChannelsModule {
  static readonly migrations: readonly Migration[] = [CreateDeviceChannels1763700000600];
  static readonly retention: readonly RetentionRule[] = [{ table: 'channel_callback_tokens', endedAt: 'expires_at' }];
}
