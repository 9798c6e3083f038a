import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { ChannelCallbackTokens } from './channel-callback-tokens.repository.js';
import { DeviceChannelsRepository } from './device-channels.repository.js';
import { CreateDeviceChannels1763700000600 } from './migrations/1763700000600-create-device-channels.js';
import { DeviceChannelChangeNotifications1765900004400 } from './migrations/1765900004400-device-channel-change-notifications.js';
import { VapidKeys } from './vapid-keys.service.js';

/**
 * How devices are reached, shared by the service that registers them (approvals: the admin API,
 * the authenticator's push subscription, the channel callback) and the one that sends to them
 * (the notifier). Needs the DataSource, the configuration and PayloadSealer (CryptoModule); the
 * channels looked up are kept in the directory's cache (DirectoryCache).
 */
@Module({
  imports: [DirectoryModule],
  providers: [DeviceChannelsRepository, VapidKeys, ChannelCallbackTokens],
  exports: [DeviceChannelsRepository, VapidKeys, ChannelCallbackTokens],
})
export class DeviceChannelsModule {
  static readonly migrations: readonly Migration[] = [
    CreateDeviceChannels1763700000600,
    DeviceChannelChangeNotifications1765900004400,
  ];
  static readonly retention: readonly RetentionRule[] = [{ table: 'channel_callback_tokens', endedAt: 'expires_at' }];
}
