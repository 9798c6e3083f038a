import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readOAuthFormRequest } from '@backchannel/http';
import { BcAuthorizeHandler, type BackchannelAuthenticationResponse } from './bc-authorize.handler.js';

/** CIBA §7: the backchannel authentication endpoint. */
@Controller()
export class BcAuthorizeController {
  constructor(private readonly handler: BcAuthorizeHandler) {}

  @Post('bc-authorize')
  @HttpCode(200)
  async authorize(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BackchannelAuthenticationResponse> {
    return this.handler.handle(readOAuthFormRequest(request, reply));
  }
}
