import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { SenderConstraintModule } from '../sender-constraint/sender-constraint.module.js';
import { TokenMintingModule } from '../token-minting/token-minting.module.js';
import { CibaGrantHandler } from './ciba-grant.handler.js';
import { InvalidGrantThrottleRepository } from './invalid-grant-throttle.repository.js';
import { CreatePollThrottle1763700000500 } from './migrations/1763700000500-create-poll-throttle.js';
import { CreateInvalidGrantThrottle1765600000000 } from './migrations/1765600000000-create-invalid-grant-throttle.js';
import { PollThrottleRepository } from './poll-throttle.repository.js';

/** The token endpoint for the CIBA grant, with its poll throttling and its throttle of auth_req_id guessing. */
@Module({
  imports: [ClientsModule, TokenMintingModule, SenderConstraintModule],
  providers: [CibaGrantHandler, PollThrottleRepository, InvalidGrantThrottleRepository],
  exports: [CibaGrantHandler],
})
export class CibaGrantModule {
  static readonly migrations: readonly Migration[] = [
    CreatePollThrottle1763700000500,
    CreateInvalidGrantThrottle1765600000000,
  ];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'poll_throttle', endedAt: 'expires_at' },
    { table: 'invalid_grant_throttle', endedAt: 'window_ends_at' },
  ];
}
