import { Inject, Injectable } from '@nestjs/common';
import webPush from 'web-push';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { EgressHttpClient } from '@backchannel/egress';
import { channelOutcomeOf } from '../channel-outcome.js';
import type { ChannelOutcome, DeviceChannel, NotificationTarget, SettingOf } from '../device-channel.js';
import { VapidKeys } from '../vapid-keys.service.js';
import { timeToLiveSeconds, webPushMessage } from './web-push-message.js';

/** A push service's answers that mean the subscription is gone for good (RFC 8030 §6.2, §7.3). */
const SUBSCRIPTION_GONE = new Set([404, 410]);

/**
 * Web Push to the built-in authenticator: the message is encrypted for the subscription
 * (aes128gcm, RFC 8291) and signed for the push service with the VAPID key (RFC 8292) by the
 * web-push package, then POSTed through the egress client (SSRF policy, pinned address).
 */
@Injectable()
export class WebPushChannel implements DeviceChannel<'web-push'> {
  readonly name = 'web-push';

  constructor(
    private readonly vapidKeys: VapidKeys,
    private readonly egress: EgressHttpClient,
    @Inject(BACKCHANNEL_CONFIG) private readonly config: BackchannelConfig,
  ) {}

  async notify({ setting, request }: NotificationTarget<SettingOf<'web-push'>>): Promise<ChannelOutcome> {
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
    const outcome = await this.egress.post({ url: details.endpoint, headers, body: details.body! });
    if (outcome.kind === 'client_error' && SUBSCRIPTION_GONE.has(outcome.status)) {
      return { kind: 'rejected', detail: `the push service answered ${outcome.status}: the subscription is gone` };
    }
    return channelOutcomeOf(outcome, 'the push service');
  }
}
