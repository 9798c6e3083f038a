import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { UserRequests } from '@backchannel/user-requests';
import { type PendingRequestView, pendingRequestView } from '../../device-api/device-requests.controller.js';
import { type DeviceRequest, DeviceTokenGuard, deviceOf } from '../../device-auth/device-token.guard.js';
import { WebAppHeaders } from '@backchannel/http';
import { PasskeyDecisionService } from './passkey-decision.service.js';
import { type ConsentView, consentView } from './consent-wording.js';

/**
 * A pending request as the authenticator shows it: the device API's view with what it asks in
 * plain words (the authorization details and claims as consentView words them), and the time left.
 */
export type AuthenticatorRequestView = Omit<PendingRequestView, 'authorization_details' | 'claims'> &
  ConsentView & {
    /** Seconds left when this answer was made, so the page's countdown does not depend on its clock. */
    expires_in: number;
  };

/** The authenticator's API for an enrolled device (device token): its user's requests and passkey-signed decisions. */
@Controller('authenticator/api/requests')
@UseGuards(DeviceTokenGuard)
@UseInterceptors(WebAppHeaders)
export class AuthenticatorRequestsController {
  constructor(
    private readonly userRequests: UserRequests,
    private readonly decisions: PasskeyDecisionService,
  ) {}

  @Get()
  async list(@Req() request: DeviceRequest): Promise<AuthenticatorRequestView[]> {
    const now = new Date();
    const open = await this.userRequests.listOpen(deviceOf(request).subject, now);
    return open.map((item) => ({
      ...pendingRequestView(item),
      ...consentView(item),
      expires_in: Math.max(0, Math.floor((item.expiresAt.getTime() - now.getTime()) / 1000)),
    }));
  }

  @Post(':requestId/challenge')
  @HttpCode(200)
  challenge(
    @Req() request: DeviceRequest,
    @Param('requestId') requestId: string,
    @Body() body: unknown,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.decisions.challenge(deviceOf(request), requestId, body, new Date());
  }

  @Post(':requestId/decision')
  @HttpCode(204)
  async decide(
    @Req() request: DeviceRequest,
    @Param('requestId') requestId: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.decisions.decide(deviceOf(request), requestId, body, request.id, new Date());
  }
}
