import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { type PendingRequest, PendingRequestsRepository } from '../pending-requests/pending-requests.repository.js';
import { DeviceDecisionHandler } from './device-decision.handler.js';
import { type DeviceRequest, DeviceTokenGuard, deviceOf } from './device-token.guard.js';

export interface PendingRequestView {
  request_id: string;
  client_id: string;
  client_name: string;
  scope: string;
  binding_message: string | null;
  created_at: string;
  expires_at: string;
}

export function pendingRequestView(item: PendingRequest): PendingRequestView {
  return {
    request_id: item.requestId,
    client_id: item.clientId,
    client_name: item.clientName,
    scope: item.scope.join(' '),
    binding_message: item.bindingMessage,
    created_at: item.createdAt.toISOString(),
    expires_at: item.expiresAt.toISOString(),
  };
}

/** The device API for custom authenticators: the user's pending requests, and their decisions. */
@Controller('device/v1/requests')
@UseGuards(DeviceTokenGuard)
export class DeviceRequestsController {
  constructor(
    private readonly pendingRequests: PendingRequestsRepository,
    private readonly decisions: DeviceDecisionHandler,
  ) {}

  @Get()
  async list(@Req() request: DeviceRequest): Promise<PendingRequestView[]> {
    const pending = await this.pendingRequests.listPending(deviceOf(request).subject, new Date());
    return pending.map(pendingRequestView);
  }

  @Post(':requestId/decision')
  @HttpCode(204)
  async decide(
    @Req() request: DeviceRequest,
    @Param('requestId') requestId: string,
    @Body() body: unknown,
  ): Promise<void> {
    await this.decisions.decide(deviceOf(request), requestId, body, request.id);
  }
}
