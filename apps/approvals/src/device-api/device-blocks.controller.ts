import { Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Req, UseGuards } from '@nestjs/common';
import { BACKCHANNEL_CONFIG, type BackchannelConfig } from '@backchannel/config';
import { UserRequests } from '@backchannel/user-requests';
import { type DeviceRequest, DeviceTokenGuard, deviceOf } from '../device-auth/device-token.guard.js';

export interface ClientBlockView {
  client_id: string;
  client_name: string;
  blocked_at: string;
  blocked_until: string;
}

/**
 * The clients the user answered "this wasn't me" to, which may not prompt them until the block
 * lapses (AUTH_REQUEST_NOT_ME_BLOCK_SECONDS): any device of the user lists them and lifts one.
 */
@Controller('device/v1/blocks')
@UseGuards(DeviceTokenGuard)
export class DeviceBlocksController {
  private readonly notMeBlockSeconds: number;

  constructor(
    private readonly userRequests: UserRequests,
    @Inject(BACKCHANNEL_CONFIG) config: BackchannelConfig,
  ) {
    this.notMeBlockSeconds = config.abuseLimits.prompts.notMeBlockSeconds;
  }

  @Get()
  async list(@Req() request: DeviceRequest): Promise<ClientBlockView[]> {
    const blocks = await this.userRequests.listBlocks(
      deviceOf(request).subject,
      { notMeBlockSeconds: this.notMeBlockSeconds },
      new Date(),
    );
    return blocks.map((block) => ({
      client_id: block.clientId,
      client_name: block.clientName,
      blocked_at: block.blockedAt.toISOString(),
      blocked_until: block.blockedUntil.toISOString(),
    }));
  }

  @Delete(':clientId')
  @HttpCode(204)
  async lift(@Req() request: DeviceRequest, @Param('clientId') clientId: string): Promise<void> {
    if (!(await this.userRequests.liftBlock(deviceOf(request).subject, clientId))) {
      throw new NotFoundException('This client is not blocked for this user.');
    }
  }
}
