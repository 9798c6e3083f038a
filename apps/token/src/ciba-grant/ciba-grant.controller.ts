import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readOAuthFormRequest } from '@backchannel/http';
import type { TokenResponse } from '../token-minting/token-minter.js';
import { CibaGrantHandler } from './ciba-grant.handler.js';

/** The token endpoint (RFC 6749 §3.2) for the CIBA grant (CIBA §10.1). */
@Controller()
export class CibaGrantController {
  constructor(private readonly handler: CibaGrantHandler) {}

  @Post('token')
  @HttpCode(200)
  async token(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenResponse> {
    return this.handler.handle(readOAuthFormRequest(request, reply));
  }
}
