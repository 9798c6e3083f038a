import { Module } from '@nestjs/common';
import { BcAuthorizeModule } from './bc-authorize/bc-authorize.module.js';
import { ClientAdminModule } from './client-admin/client-admin.module.js';
import { ConsentVocabularyAdminModule } from './consent-vocabulary-admin/consent-vocabulary-admin.module.js';
import { RegistrationModule } from './registration/registration.module.js';

/**
 * The backchannel service: /bc-authorize, the client registry (its admin API, and dynamic
 * registration), and the consent vocabulary (its admin API).
 */
@Module({ imports: [BcAuthorizeModule, ClientAdminModule, ConsentVocabularyAdminModule, RegistrationModule] })
export class BackchannelModule {}
