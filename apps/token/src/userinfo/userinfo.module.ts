import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import { SenderConstraintModule } from '../sender-constraint/sender-constraint.module.js';
import { TokenManagementModule } from '../token-management/token-management.module.js';
import { UserinfoController } from './userinfo.controller.js';
import { UserinfoHandler } from './userinfo.handler.js';

/** The userinfo endpoint: the user's claims, to the holder of an access token granted them. */
@Module({
  imports: [DirectoryModule, TokenManagementModule, SenderConstraintModule],
  controllers: [UserinfoController],
  providers: [UserinfoHandler],
})
export class UserinfoModule {}
