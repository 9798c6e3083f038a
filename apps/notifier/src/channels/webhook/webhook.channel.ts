import { Injectable } from '@nestjs/common';
import { PayloadSealer } from '@backchannel/crypto';
import type { DeliveryOutcome } from '@backchannel/delivery';
import type { SettingOf } from '@backchannel/device-channels';
import { EgressHttpClient } from '@backchannel/egress';
import type { DeviceChannel, NotificationTarget } from '../device-channel.js';
import { WEBHOOK_SIGNATURE_HEADER, webhookMessage, webhookSignature } from './webhook-message.js';

/** A signed JSON POST to the device's own URL, for custom devices and bots. */
@Injectable()
export class WebhookChannel implements DeviceChannel<'webhook'> {
  readonly name = 'webhook';

  constructor(
    private readonly sealer: PayloadSealer,
    private readonly egress: EgressHttpClient,
  ) {}

  async send({ deviceId, setting, request }: NotificationTarget<SettingOf<'webhook'>>): Promise<DeliveryOutcome> {
    const secret = await this.sealer.open<string>(setting.sealedSecret, deviceId);
    const body = Buffer.from(JSON.stringify(webhookMessage(deviceId, request)));
    const signature = webhookSignature(secret, Math.floor(Date.now() / 1_000), body);
    return this.egress.post({
      url: setting.url,
      headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signature },
      body,
    });
  }
}
