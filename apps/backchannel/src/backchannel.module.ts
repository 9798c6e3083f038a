import { Module } from '@nestjs/common';
import { BcAuthorizeModule } from './bc-authorize/bc-authorize.module.js';
import { ClientAdminModule } from './client-admin/client-admin.module.js';
import { RegistrationModule } from './registration/registration.module.js';

/** The backchannel service: /bc-authorize, and the client registry (its admin API, and dynamic registration). */
@Module({ imports: [BcAuthorizeModule, ClientAdminModule, RegistrationModule] })
export class BackchannelModule {}
