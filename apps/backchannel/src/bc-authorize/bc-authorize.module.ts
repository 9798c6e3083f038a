import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { DirectoryModule } from '@backchannel/directory';
import { UserRequestsModule } from '@backchannel/user-requests';
import { BcAuthorizeController } from './bc-authorize.controller.js';
import { BcAuthorizeHandler } from './bc-authorize.handler.js';
import { HintedUsers } from './hinted-user.js';

/** The backchannel authentication endpoint, with the users' limits on open requests. */
@Module({
  imports: [ClientsModule.forRoot(), DirectoryModule.forRoot(), UserRequestsModule],
  controllers: [BcAuthorizeController],
  providers: [BcAuthorizeHandler, HintedUsers],
})
export class BcAuthorizeModule {}
