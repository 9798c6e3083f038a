import { Body, Controller, Get, HttpCode, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { z } from 'zod';
import { DeviceChannelsRepository } from '@backchannel/device-channels';
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
  constructor(private readonly channels: DeviceChannelsRepository) {}

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
    await this.channels.useWebPush(deviceOf(request).deviceId, subscription);
  }
}
