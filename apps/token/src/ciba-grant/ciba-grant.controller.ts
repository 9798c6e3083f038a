import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CibaGrantHandler, type TokenResponse } from './ciba-grant.handler.js';

/** The token endpoint (RFC 6749 §3.2) for the CIBA grant (CIBA §10.1). */
@Controller()
export class CibaGrantController {
  constructor(private readonly handler: CibaGrantHandler) {}

  @Post('token')
  @HttpCode(200)
  async token(
    @Req() request: FastifyRequest & { rawBody?: Buffer },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
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
