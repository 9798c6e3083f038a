import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { PayloadSealer, randomToken } from '@backchannel/crypto';
import { type DeviceChannelName, DeviceChannelsRepository } from '@backchannel/device-channels';
import {
  type AnswerDoor,
  DeviceRegistry,
  DirectoryValidationError,
  type LifecycleContext,
} from '@backchannel/directory';
import { PostgresEventStore } from '@backchannel/event-store';
import { EgressPolicyChecker } from '@backchannel/egress';
import { type DeviceChannelChoice, parseDeviceChannelChoice } from './device-channel-input.js';

export interface RegisteredDevice {
  deviceId: string;
  deviceToken: string;
  channel: DeviceChannelName | 'device-api';
  /** The webhook's HMAC key, shown once (kept sealed: it is needed to sign). */
  webhookSecret?: string;
}

/**
 * How each kind of admin-registered device answers: device-API and webhook devices with their
 * token at the device API, Keycloak-compatible ones through the channel's callback only.
 */
const ANSWER_DOORS: Readonly<Record<DeviceChannelChoice['channel'], AnswerDoor>> = {
  'device-api': 'device_token',
  webhook: 'device_token',
  'keycloak-http': 'channel_callback',
};

/**
 * An admin registers a device with its channel, in one transaction: the device API (default), a
 * signed webhook (its URL checked against the egress policy now, and again at every call), or
 * the Keycloak-compatible channel (which needs KEYCLOAK_CHANNEL_URL).
 */
@Injectable()
export class DeviceRegistration {
  private readonly egress: EgressPolicyChecker;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly devices: DeviceRegistry,
    private readonly channels: DeviceChannelsRepository,
    private readonly sealer: PayloadSealer,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {
    this.egress = new EgressPolicyChecker(config.clientNotification);
  }

  /** Recorded (DeviceRegistered) with the actor, in the same transaction. */
  async register(subject: string, input: unknown, context: LifecycleContext): Promise<RegisteredDevice> {
    const choice = parseDeviceChannelChoice(input);
    await this.checkUsable(choice);
    return this.store.transaction(async (tx) => {
      const device = await this.devices.registerDeviceIn(tx, subject, input, ANSWER_DOORS[choice.channel], {
        channel: choice.channel,
        context: () => context,
      });
      switch (choice.channel) {
        case 'device-api':
          return { ...device, channel: choice.channel };
        case 'keycloak-http':
          await this.channels.use(device.deviceId, { channel: choice.channel }, tx);
          return { ...device, channel: choice.channel };
        case 'webhook': {
          const webhookSecret = randomToken(32);
          const sealedSecret = await this.sealer.seal(webhookSecret, device.deviceId);
          await this.channels.use(
            device.deviceId,
            { channel: choice.channel, url: choice.webhookUrl, sealedSecret },
            tx,
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
