import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BcAuthorizeHandler, type BackchannelAuthenticationResponse } from './bc-authorize.handler.js';

/** CIBA §7: the backchannel authentication endpoint. */
@Controller()
export class BcAuthorizeController {
  constructor(private readonly handler: BcAuthorizeHandler) {}

  @Post('bc-authorize')
  @HttpCode(200)
  async authorize(
    @Req() request: FastifyRequest & { rawBody?: Buffer },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BackchannelAuthenticationResponse> {
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return this.handler.handle({
      contentType: request.headers['content-type'],
      authorization: request.headers.authorization,
      body: request.rawBody?.toString('utf8') ?? '',
      correlationId: request.id,
      now: new Date(),
    });
  }
}
