import { Module } from '@nestjs/common';
import { DeviceChannelsModule } from '@backchannel/device-channels';
import { DirectoryModule } from '@backchannel/directory';
import { HttpModule } from '@backchannel/http';
import { AnswersModule } from '../answers/answers.module.js';
import { AuthenticatorModule } from '../authenticator/authenticator.module.js';
import { DeviceRegistration } from './device-registration.service.js';
import { UserAdminController } from './user-admin.controller.js';

/** The admin API of the built-in directory: users, their devices, and authenticator enrolments. */
@Module({
  imports: [AnswersModule, AuthenticatorModule, DeviceChannelsModule, DirectoryModule, HttpModule],
  controllers: [UserAdminController],
  providers: [DeviceRegistration],
})
export class UserAdminModule {}
