import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { AuthorizationDetail, RequestedClaims } from '@backchannel/events';
import { type UserRequest, UserRequests } from '@backchannel/user-requests';
import { AnswerRecorder } from '../answers/answer-recorder.js';
import { type DeviceRequest, DeviceTokenGuard, deviceOf } from '../device-auth/device-token.guard.js';
import { decisionError, unknownRequest } from './decision-error.js';
import { parseDeviceDecision } from './device-decision.js';

export interface PendingRequestView {
  request_id: string;
  client_id: string;
  client_name: string;
  scope: string;
  binding_message: string | null;
  /** What the client asked for; `phr` means only a user-verified passkey can approve. */
  acr_values: string[];
  created_at: string;
  expires_at: string;
  /** RFC 9396: what else the client asks the user to allow, as sent; absent when nothing. */
  authorization_details?: AuthorizationDetail[];
  /** The claims asked for one by one (claims parameter); absent when none. */
  claims?: RequestedClaims;
}

export function pendingRequestView(item: UserRequest): PendingRequestView {
  return {
    request_id: item.requestId,
    client_id: item.clientId,
    client_name: item.clientName,
    scope: item.scope.join(' '),
    binding_message: item.bindingMessage,
    acr_values: item.acrValues,
    created_at: item.createdAt.toISOString(),
    expires_at: item.expiresAt.toISOString(),
    ...(item.authorizationDetails && { authorization_details: item.authorizationDetails }),
    ...(item.requestedClaims && { claims: item.requestedClaims }),
  };
}

/**
 * The device API for custom authenticators: the user's pending requests, and their answers. Any
 * device may list; only a device whose door is its device token may answer here.
 */
@Controller('device/v1/requests')
@UseGuards(DeviceTokenGuard)
export class DeviceRequestsController {
  constructor(
    private readonly userRequests: UserRequests,
    private readonly answers: AnswerRecorder,
  ) {}

  @Get()
  async list(@Req() request: DeviceRequest): Promise<PendingRequestView[]> {
    const open = await this.userRequests.listOpen(deviceOf(request).subject, new Date());
    return open.map(pendingRequestView);
  }

  @Post(':requestId/decision')
  @HttpCode(204)
  async decide(
    @Req() request: DeviceRequest,
    @Param('requestId') requestId: string,
    @Body() body: unknown,
  ): Promise<void> {
    const answer = parseDeviceDecision(body);
    const asked = await this.userRequests.find(requestId);
    if (!asked) throw unknownRequest();
    const result = await this.answers.record({
      device: deviceOf(request),
      door: 'device_token',
      streamId: asked.streamId,
      answer,
      correlationId: request.id,
      now: new Date(),
    });
    if (result.outcome === 'refused') throw decisionError(result.refusal);
  }
}
