import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { DirectoryModule } from '@backchannel/directory';
import { SenderConstraintModule } from '../sender-constraint/sender-constraint.module.js';
import { TokenMintingModule } from '../token-minting/token-minting.module.js';
import { RefreshGrantHandler } from './refresh-grant.handler.js';

/** The refresh_token grant, with rotation and reuse detection. */
@Module({
  imports: [ClientsModule, DirectoryModule, TokenMintingModule, SenderConstraintModule],
  providers: [RefreshGrantHandler],
  exports: [RefreshGrantHandler],
})
export class RefreshGrantModule {}
