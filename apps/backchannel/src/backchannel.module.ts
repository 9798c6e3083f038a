import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { DirectoryModule } from '@backchannel/directory';
import { HttpModule } from '@backchannel/http';
import { BcAuthorizeController } from './bc-authorize/bc-authorize.controller.js';
import { BcAuthorizeHandler } from './bc-authorize/bc-authorize.handler.js';
import { ClientAdminController } from './client-admin/client-admin.controller.js';

/** The backchannel service's features: /bc-authorize and the client registry's admin API. */
@Module({
  imports: [ClientsModule.forRoot(), DirectoryModule.forRoot(), HttpModule],
  controllers: [BcAuthorizeController, ClientAdminController],
  providers: [BcAuthorizeHandler],
})
export class BackchannelModule {}
