import { Module } from '@nestjs/common';
import { TokenMinter } from './token-minter.js';

/** Token minting, for the /token grant and push mode; signing and sealing come from CryptoModule. */
@Module({ providers: [TokenMinter], exports: [TokenMinter] })
export class TokenMintingModule {}
