import { Module } from '@nestjs/common';
import { DirectoryModule } from '@backchannel/directory';
import type { Migration, RetentionRule } from '@backchannel/event-store';
import { IssuedResponses } from './issued-responses.repository.js';
import { CreateIssuedResponses1765700000100 } from './migrations/1765700000100-create-issued-responses.js';
import { CreateRefreshTokens1765300000100 } from './migrations/1765300000100-create-refresh-tokens.js';
import { RefreshTokenGrantDetails1765500000500 } from './migrations/1765500000500-refresh-token-grant-details.js';
import { RefreshTokens } from './refresh-tokens.repository.js';
import { TokenMinter } from './token-minter.js';

/**
 * Token minting, for the /token grants and push mode, and the state of what was minted that can
 * be revoked (refresh token families, revoked access tokens), and the responses kept for a retry;
 * signing and sealing come from CryptoModule.
 */
@Module({
  imports: [DirectoryModule],
  providers: [TokenMinter, RefreshTokens, IssuedResponses],
  exports: [TokenMinter, RefreshTokens],
})
export class TokenMintingModule {
  static readonly migrations: readonly Migration[] = [
    CreateRefreshTokens1765300000100,
    RefreshTokenGrantDetails1765500000500,
    CreateIssuedResponses1765700000100,
  ];
  static readonly retention: readonly RetentionRule[] = [
    { table: 'refresh_token_families', endedAt: 'expires_at' },
    { table: 'refresh_tokens', endedAt: 'expires_at' },
    { table: 'revoked_access_tokens', endedAt: 'expires_at' },
    { table: 'issued_responses', endedAt: 'expires_at' },
  ];
}
