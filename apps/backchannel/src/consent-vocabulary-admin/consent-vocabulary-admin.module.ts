import { Module } from '@nestjs/common';
import { ConsentVocabularyModule } from '@backchannel/consent-vocabulary';
import { HttpModule } from '@backchannel/http';
import {
  ApiScopeAdminController,
  AuthorizationDetailTypeAdminController,
} from './consent-vocabulary-admin.controller.js';

/** The consent vocabulary's admin API. */
@Module({
  imports: [ConsentVocabularyModule, HttpModule],
  controllers: [ApiScopeAdminController, AuthorizationDetailTypeAdminController],
})
export class ConsentVocabularyAdminModule {}
