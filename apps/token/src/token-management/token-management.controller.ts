import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readOAuthFormRequest } from '@backchannel/http';
import { type IntrospectionResponse, TokenIntrospectionHandler } from './token-introspection.handler.js';
import { TokenRevocationHandler } from './token-revocation.handler.js';

/** Introspection (RFC 7662) and revocation (RFC 7009), authenticated as the token endpoint is. */
@Controller()
export class TokenManagementController {
  constructor(
    private readonly introspection: TokenIntrospectionHandler,
    private readonly revocation: TokenRevocationHandler,
  ) {}

  @Post('introspect')
  @HttpCode(200)
  introspect(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IntrospectionResponse> {
    return this.introspection.handle(readOAuthFormRequest(request, reply));
  }

  @Post('revoke')
  @HttpCode(200)
  async revoke(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.revocation.handle(readOAuthFormRequest(request, reply));
  }
}
