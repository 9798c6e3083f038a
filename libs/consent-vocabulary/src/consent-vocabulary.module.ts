import { Module } from '@nestjs/common';
import type { Migration } from '@backchannel/event-store';
import { ConsentVocabulary } from './consent-vocabulary.service.js';
import { CreateConsentVocabulary1765500000200 } from './migrations/1765500000200-create-consent-vocabulary.js';

/**
 * The words of API scopes and authorization detail types, owned by the backchannel service (its
 * admin API defines them, /bc-authorize reads them); needs the global EventStoreModule.
 */
@Module({ providers: [ConsentVocabulary], exports: [ConsentVocabulary] })
export class ConsentVocabularyModule {
  static readonly migrations: readonly Migration[] = [CreateConsentVocabulary1765500000200];
}
