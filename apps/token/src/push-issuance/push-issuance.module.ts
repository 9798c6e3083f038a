import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { TokenMintingModule } from '../token-minting/token-minting.module.js';
import { CreatePushIssuances1765000000300 } from './migrations/1765000000300-create-push-issuances.js';
import { PushIssuanceConsumer } from './push-issuance.consumer.js';
import { PushIssuances } from './push-issuances.repository.js';

/** Push mode: tokens minted once the user approves, for ping-delivery to push. */
@Module({
  imports: [ClientsModule, TokenMintingModule],
  controllers: [PushIssuanceConsumer],
  providers: [PushIssuances],
})
export class PushIssuanceModule {
  static readonly migrations: readonly Migration[] = [CreatePushIssuances1765000000300];
  static readonly retention: readonly RetentionRule[] = [{ table: 'push_issuances', endedAt: 'expires_at' }];
}
