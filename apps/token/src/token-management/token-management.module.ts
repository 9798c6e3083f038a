import { Module } from '@nestjs/common';
import { ClientsModule } from '@backchannel/clients';
import { DirectoryModule } from '@backchannel/directory';
import { TokenMintingModule } from '../token-minting/token-minting.module.js';
import { IssuedTokens } from './issued-tokens.js';
import { TokenIntrospectionHandler } from './token-introspection.handler.js';
import { TokenManagementController } from './token-management.controller.js';
import { TokenRevocationHandler } from './token-revocation.handler.js';

/** What clients and resource servers do with issued tokens: introspect and revoke them. */
@Module({
  imports: [ClientsModule, DirectoryModule, TokenMintingModule],
  controllers: [TokenManagementController],
  providers: [IssuedTokens, TokenIntrospectionHandler, TokenRevocationHandler],
  exports: [IssuedTokens],
})
export class TokenManagementModule {}
