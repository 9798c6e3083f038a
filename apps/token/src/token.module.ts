import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { CibaGrantController } from './ciba-grant/ciba-grant.controller.js';
import { CibaGrantHandler } from './ciba-grant/ciba-grant.handler.js';
import { PollThrottleRepository } from './ciba-grant/poll-throttle.repository.js';
import { PushIssuanceConsumer } from './push-issuance/push-issuance.consumer.js';
import { TokenMinter } from './token-minting/token-minter.js';

/**
 * The token service's features: /token for the CIBA grant, and the auth-request consumer that
 * mints push-mode tokens. Signing keys and sealing come from CryptoModule, the handler runner from
 * MessagingModule.
 */
@Module({
  imports: [ClientsModule.forRoot()],
  controllers: [CibaGrantController, PushIssuanceConsumer],
  providers: [CibaGrantHandler, PollThrottleRepository, TokenMinter],
})
export class TokenModule {}
