import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, randomToken } from '@backchannel/crypto';
import { DeviceRegistry, DirectoryValidationError } from '@backchannel/directory';
import { EgressPolicyChecker } from '@backchannel/egress';
import type { DeviceChannelName } from '../channels/device-channel.js';
import { DeviceChannelsRepository } from '../channels/device-channels.repository.js';
import { type DeviceChannelChoice, parseDeviceChannelChoice } from './device-channel-input.js';

export interface RegisteredDevice {
  deviceId: string;
  deviceToken: string;
  channel: DeviceChannelName | 'device-api';
  /** The webhook's HMAC key, shown once (kept sealed: it is needed to sign). */
  webhookSecret?: string;
}

/**
 * An admin registers a device with its channel, in one transaction: the device API (default), a
 * signed webhook (its URL checked against the egress policy now, and again at every call), or
 * the Keycloak-compatible channel (which needs KEYCLOAK_CHANNEL_URL).
 */
@Injectable()
export class DeviceRegistration {
  private readonly egress: EgressPolicyChecker;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly devices: DeviceRegistry,
    private readonly channels: DeviceChannelsRepository,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {
    this.egress = new EgressPolicyChecker(config.clientNotification);
  }

  async register(subject: string, input: unknown): Promise<RegisteredDevice> {
    const choice = parseDeviceChannelChoice(input);
    await this.checkUsable(choice);
    return this.dataSource.transaction(async (manager) => {
      const device = await this.devices.registerDevice(subject, input, manager);
      switch (choice.channel) {
        case 'device-api':
          return { ...device, channel: choice.channel };
        case 'keycloak-http':
          await this.channels.use(device.deviceId, { channel: choice.channel }, manager);
          return { ...device, channel: choice.channel };
        case 'webhook': {
          const webhookSecret = randomToken(32);
          const sealedSecret = await this.sealer.seal(webhookSecret, device.deviceId);
          await this.channels.use(
            device.deviceId,
            { channel: choice.channel, url: choice.webhookUrl, sealedSecret },
            manager,
          );
          return { ...device, channel: choice.channel, webhookSecret };
        }
        default: {
          const unknownChoice: never = choice;
          throw new Error(`unhandled channel ${(unknownChoice as { channel: string }).channel}`);
        }
      }
    });
  }

  private async checkUsable(choice: DeviceChannelChoice): Promise<void> {
    if (choice.channel === 'keycloak-http' && this.config.keycloakChannelUrl === null) {
      throw new DirectoryValidationError('the keycloak-http channel needs KEYCLOAK_CHANNEL_URL to be configured');
    }
    if (choice.channel === 'webhook') {
      const verdict = await this.egress.checkNotificationEndpoint(choice.webhookUrl);
      if (!verdict.allowed) throw new DirectoryValidationError(`webhook_url ${verdict.reason}`);
    }
  }
}
