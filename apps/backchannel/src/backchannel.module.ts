import { Module } from '@nestjs/common';
import { BcAuthorizeModule } from './bc-authorize/bc-authorize.module.js';
import { ClientAdminModule } from './client-admin/client-admin.module.js';

/** The backchannel service: /bc-authorize, and the client registry's admin API. */
@Module({ imports: [BcAuthorizeModule, ClientAdminModule] })
export class BackchannelModule {}
