import { Module } from '@nestjs/common';
import { UserRequestsModule } from '@backchannel/user-requests';
import { AnswersModule } from '../answers/answers.module.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DeviceRequestsController } from './device-requests.controller.js';

/** The device API (`/device/v1/requests`). */
@Module({ imports: [AnswersModule, DeviceAuthModule, UserRequestsModule], controllers: [DeviceRequestsController] })
export class DeviceApiModule {}
