import { Inject, Injectable } from '@nestjs/common';
import webPush from 'web-push';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import type { DeliveryOutcome } from '@backchannel/delivery';
import { type SettingOf, VapidKeys } from '@backchannel/device-channels';
import { EgressHttpClient } from '@backchannel/egress';
import type { DeviceChannel, NotificationTarget } from '../device-channel.js';
import { timeToLiveSeconds, webPushMessage } from './web-push-message.js';

/**
 * Web Push to the built-in authenticator: the message is encrypted for the subscription
 * (aes128gcm, RFC 8291) and signed for the push service with the VAPID key (RFC 8292) by the
 * web-push package, then POSTed through the egress client (SSRF policy, pinned address). A push
 * service's 404 or 410 means the subscription is gone (RFC 8030 §6.2, §7.3): a client error, never retried.
 */
@Injectable()
export class WebPushChannel implements DeviceChannel<'web-push'> {
  readonly name = 'web-push';

  constructor(
    private readonly vapidKeys: VapidKeys,
    private readonly egress: EgressHttpClient,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  async send({ setting, request }: NotificationTarget<SettingOf<'web-push'>>): Promise<DeliveryOutcome> {
    const vapid = await this.vapidKeys.current();
    let details: ReturnType<typeof webPush.generateRequestDetails>;
    try {
      details = webPush.generateRequestDetails(setting.subscription, JSON.stringify(webPushMessage(request)), {
        vapidDetails: { subject: this.config.webPush.subject, ...vapid },
        TTL: timeToLiveSeconds(request.expiresAt, new Date()),
        urgency: 'high',
      });
    } catch (error) {
      // subscription keys of the wrong length, a malformed VAPID key: no attempt can ever succeed
      return { kind: 'rejected', detail: `the push message cannot be built: ${(error as Error).message}` };
    }
    const headers = Object.fromEntries(Object.entries(details.headers).map(([name, value]) => [name, String(value)]));
    return this.egress.post({ url: details.endpoint, headers, body: details.body! });
  }
}
