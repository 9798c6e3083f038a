import { Module } from '@nestjs/common';
import { DeviceChannelsModule } from '@backchannel/device-channels';
import { DirectoryModule } from '@backchannel/directory';
import { HttpModule } from '@backchannel/http';
import { AnswersModule } from '../answers/answers.module.js';
import { KeycloakCallbackController } from './keycloak-callback.controller.js';
import { KeycloakCallbackHandler } from './keycloak-callback.handler.js';

/** The Keycloak-compatible channel's callback, at Keycloak's path. */
@Module({
  imports: [AnswersModule, DeviceChannelsModule, DirectoryModule, HttpModule],
  controllers: [KeycloakCallbackController],
  providers: [KeycloakCallbackHandler],
})
export class KeycloakCallbackModule {}
