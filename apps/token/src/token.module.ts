import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { CibaGrantController } from './ciba-grant/ciba-grant.controller.js';
import { CibaGrantHandler } from './ciba-grant/ciba-grant.handler.js';
import { PollThrottleRepository } from './ciba-grant/poll-throttle.repository.js';

/** The token service's features: /token for the CIBA grant. Signing keys come from CryptoModule. */
@Module({
  imports: [ClientsModule.forRoot()],
  controllers: [CibaGrantController],
  providers: [CibaGrantHandler, PollThrottleRepository],
})
export class TokenModule {}
