import { Module } from '@nestjs/common';
import { UserRequestsModule } from '@backchannel/user-requests';
import { AnswersModule } from '../answers/answers.module.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DeviceBlocksController } from './device-blocks.controller.js';
import { DeviceRequestsController } from './device-requests.controller.js';

/** The device API (`/device/v1/requests`, `/device/v1/blocks`). */
@Module({
  imports: [AnswersModule, DeviceAuthModule, UserRequestsModule],
  controllers: [DeviceRequestsController, DeviceBlocksController],
})
export class DeviceApiModule {}
