import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { z } from 'zod';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { DeviceChannelsRepository } from '@backchannel/device-channels';
import { EgressPolicyChecker } from '@backchannel/egress';
import { type DeviceRequest, DeviceTokenGuard, deviceOf } from '../../device-auth/device-token.guard.js';
import { WebAppHeaders } from '@backchannel/http';
import { parseBody } from '../request-body.js';

/** base64url of exactly `bytes` bytes, as PushSubscription.toJSON() gives its keys. */
const base64urlOf = (bytes: number) =>
  z.string().refine((value) => /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes);

/** PushSubscription.toJSON(): push services are always https; the keys are RFC 8291's. */
const subscriptionSchema = z.object({
  endpoint: z.url({ protocol: /^https$/ }).max(2048),
  keys: z.object({ p256dh: base64urlOf(65), auth: base64urlOf(16) }),
});

/** Web Push for the authenticator: the VAPID key to subscribe with, and the device's subscription. */
@Controller('authenticator/api')
@UseInterceptors(WebAppHeaders)
export class PushSubscriptionController {
  private readonly egress: EgressPolicyChecker;

  constructor(
    private readonly channels: DeviceChannelsRepository,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.egress = new EgressPolicyChecker(config.clientNotification);
  }

  @Get('push-key')
  async pushKey(): Promise<{ public_key: string }> {
    return { public_key: await this.channels.vapidPublicKey() };
  }

  @Post('push-subscription')
  @HttpCode(204)
  @UseGuards(DeviceTokenGuard)
  async subscribe(@Req() request: DeviceRequest, @Body() body: unknown): Promise<void> {
    const subscription = parseBody(
      subscriptionSchema,
      body,
      'a Web Push subscription: {"endpoint": "https://...", "keys": {"p256dh", "auth"}}',
    );
    // The policy every delivery applies, so a subscription no message could reach is refused now.
    const verdict = await this.egress.checkNotificationEndpoint(subscription.endpoint);
    if (!verdict.allowed) throw new BadRequestException(`The subscription's endpoint ${verdict.reason}.`);
    await this.channels.useWebPush(deviceOf(request).deviceId, subscription);
  }
}
