import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { ConsentVocabularyModule } from '@backchannel/consent-vocabulary';
import { DirectoryModule } from '@backchannel/directory';
import { UserRequestsModule } from '@backchannel/user-requests';
import { BcAuthorizeController } from './bc-authorize.controller.js';
import { BcAuthorizeHandler } from './bc-authorize.handler.js';
import { HintedUsers } from './hinted-user.js';

/**
 * The backchannel authentication endpoint, with the users' limits on open requests, and the words
 * of the API scopes and authorization detail types asked for (ConsentVocabulary).
 */
@Module({
  imports: [ClientsModule, ConsentVocabularyModule, DirectoryModule, UserRequestsModule],
  controllers: [BcAuthorizeController],
  providers: [BcAuthorizeHandler, HintedUsers],
})
export class BcAuthorizeModule {}
